"""What roofing and contracting customers write about, as fill-in templates.

Placeholders filled by the renderer: {street} {day} {time} {amount} {claim} {insurer} {org}
{agent_first} {contact_first} {material} {color} {weeks} {years}. Plain text only: the renderer
escapes it and adds the HTML structure.
"""

from __future__ import annotations

from typing import Final

# topic key -> relative frequency
TOPIC_WEIGHTS: Final[dict[str, int]] = {
    "leak": 18,
    "estimate": 22,
    "shingles": 10,
    "gutters": 12,
    "insurance": 12,
    "scheduling": 14,
    "warranty": 5,
    "invoice": 7,
}

SUBJECTS: Final[dict[str, tuple[str, ...]]] = {
    "leak": (
        "Roof leak over the kitchen",
        "Water stain on ceiling - {street}",
        "URGENT: leak in upstairs bedroom",
        "Leak around chimney flashing",
        "Dripping from skylight after the storm",
    ),
    "estimate": (
        "Estimate request - {street}",
        "Quote for roof replacement",
        "Following up on your quote",
        "Question about the estimate you sent",
        "Need a price for a new roof & gutters",
    ),
    "shingles": (
        "Missing shingles after wind storm",
        "Shingle color options",
        "Shingles curling on south side",
        "Architectural vs 3-tab shingles?",
    ),
    "gutters": (
        "Gutter cleaning & guards",
        "Gutters overflowing at {street}",
        "Seamless gutter quote",
        "Downspout pulled away from house",
    ),
    "insurance": (
        "Insurance claim {claim}",
        "Hail damage - adjuster visit",
        "{insurer} claim paperwork",
        "Supplement for claim {claim}",
    ),
    "scheduling": (
        "Scheduling the install",
        "Can we move the start date?",
        "Crew arrival time for {day}",
        "Inspection appointment",
    ),
    "warranty": (
        "Warranty question",
        "Workmanship warranty - job from {years} years ago",
        "Transferring the roof warranty",
    ),
    "invoice": (
        "Invoice {claim}",
        "Payment options for the new roof",
        "Question about the final invoice",
        "Deposit paid - receipt?",
    ),
}

OPENINGS: Final[dict[str, tuple[str, ...]]] = {
    "leak": (
        "We had heavy rain last night and water started dripping from the ceiling in the kitchen. "
        "There's a brown stain about the size of a dinner plate and it's getting bigger.",
        "I noticed a leak in our upstairs bedroom near the exterior wall. It only seems to happen "
        "when the wind blows from the west.",
        "There is water coming in around the chimney at {street}. I think the flashing might be "
        "loose, you can see daylight through one spot in the attic.",
        "Our skylight has been leaking since the storm on Saturday. We put a bucket under it "
        "but I'd like someone to look at it before the next round of rain.",
    ),
    "estimate": (
        "We're looking to replace the roof on our house at {street}. It's a two-story colonial, "
        "roughly 2,400 sq ft, and the current roof is about {years} years old.",
        "A neighbor recommended {org}. Could you give us a quote for a full tear-off and "
        "replacement? We'd like architectural shingles.",
        "I got your estimate for {amount} - thanks for putting it together. Before we sign I "
        "have a couple of questions about what's included.",
        "We manage a small apartment building and need pricing for a new flat roof section "
        "over the garage plus new gutters on the front side.",
    ),
    "shingles": (
        "After the wind storm this week I found several shingles in the yard. Looks like a "
        "section near the ridge is bare now.",
        "We're trying to decide on a shingle color. Do you have samples of {color} and "
        "the darker gray you mentioned?",
        "The shingles on the south-facing side are curling up at the edges. Is that normal "
        "for a roof that's only {years} years old?",
    ),
    "gutters": (
        "Our gutters overflow every time it rains and water is pooling by the foundation. "
        "Can you quote new seamless gutters with guards?",
        "One of the downspouts pulled away from the house at {street} and the gutter is "
        "sagging on that corner.",
        "We'd like the gutters cleaned before winter and maybe leaf guards installed. What would that run?",
    ),
    "insurance": (
        "Our adjuster from {insurer} is coming out on {day} at {time}. Can someone from your "
        "team be there to walk the roof with him?",
        "We got the paperwork back from {insurer} for {claim}. They approved the roof but "
        "not the gutters - is that something you can help us appeal?",
        "The hail last month left dents all over the vents and I think the shingles are "
        "damaged too. Do you work with insurance companies directly?",
    ),
    "scheduling": (
        "Just checking on when the crew is scheduled to start. We need to move the cars out of the driveway.",
        "Something came up and we need to push the install back a week if possible. "
        "Would {day} the following week work instead?",
        "What time should we expect the crew on {day}? We have a dog and want to keep "
        "her inside while you're working.",
    ),
    "warranty": (
        "Your company replaced our roof about {years} years ago and we're now seeing a leak "
        "near the valley. Is that covered under the workmanship warranty?",
        "We're selling the house and the buyer is asking whether the roof warranty "
        "transfers. Can you send me the warranty details?",
    ),
    "invoice": (
        "I received the final invoice for {amount}. Could you break out the cost of the "
        "extra decking that was replaced?",
        "Do you offer financing or payment plans for the new roof? The quote came in at {amount}.",
        "I paid the deposit on Friday by check. Could you send over a receipt for our records?",
    ),
}

DETAILS: Final[tuple[str, ...]] = (
    "I'm home most afternoons, and I can send photos if that helps.",
    "We'd like to get this done before the weather turns, ideally within the next {weeks} weeks.",
    "The best number to reach me is my cell, but email works too.",
    "Please let me know what you need from us & when someone can come by.",
    "My husband will be home on {day} if that's easier for your schedule.",
    "We've had two other companies look at it but I wasn't comfortable with either quote.",
)

FOLLOW_UPS: Final[tuple[str, ...]] = (
    "Just following up on my last email - any update?",
    "Thanks for getting back to me. {day} at {time} works for us.",
    "That sounds good. One more question: does the price include haul-away of the old roof?",
    "We looked over the options and would like to go with the {color} shingles.",
    "The leak came back during last night's rain, so it's getting more urgent on our end.",
    "Can you send the updated quote with the gutter guards added?",
    "I spoke with {insurer} and they said you can send the supplement directly to them.",
    "Great, we'll sign the contract and send the deposit this week.",
    "Sorry for the slow reply - we were out of town. Is the {day} slot still open?",
)

REPLIES: Final[dict[str, tuple[str, ...]]] = {
    "leak": (
        "Sorry to hear about the leak. I can have one of our techs out on {day} between "
        "{time} and 4pm to find the source and put a temporary patch on it.",
        "Thanks for the photos. It looks like the pipe boot has cracked, which is a common "
        "cause. The repair is usually in the $350-$600 range.",
    ),
    "estimate": (
        "Thanks for reaching out! I've attached an estimate for {amount}. It includes full "
        "tear-off, synthetic underlayment, ice & water shield in the valleys, and a 10-year "
        "workmanship warranty.",
        "Happy to come take measurements. Would {day} at {time} work for a quick walk-around? "
        "It usually takes about 45 minutes.",
    ),
    "shingles": (
        "I'll bring the sample boards by on {day}. The {color} is one of our most popular colors this year.",
        "Curling at that age usually means poor attic ventilation. We'll check the intake "
        "and exhaust vents when we come out.",
    ),
    "gutters": (
        "We can do 6-inch seamless aluminum gutters with micro-mesh guards for {amount}. "
        "Install takes about a day.",
        "I'll have the crew re-hang that downspout and check the fascia board behind it while they're there.",
    ),
    "insurance": (
        "Yes, we'll have someone meet the adjuster on {day}. We'll document everything with "
        "photos and send a supplement if anything is missed.",
        "We work with {insurer} all the time. Send me the summary of loss and I'll go over "
        "it line by line with you.",
    ),
    "scheduling": (
        "You're on the schedule for {day}. The crew usually arrives around 7:30am and we'll "
        "have a dumpster dropped off the day before.",
        "No problem, I moved you to {day}. I'll confirm the exact time the Friday before.",
    ),
    "warranty": (
        "I looked up your job and you're still within the workmanship warranty. We'll send "
        "someone out at no charge.",
        "The manufacturer warranty transfers once with a written notice. I'll email the form "
        "so you can pass it to the buyer.",
    ),
    "invoice": (
        "The extra decking came to 6 sheets at $85 each - I've attached the itemized invoice. "
        "Let me know if you have any questions.",
        "We offer financing through our partner with 12 months same-as-cash. I'll send you "
        "the application link.",
    ),
}

SMS_INBOUND: Final[tuple[str, ...]] = (
    "Hi, this is {contact_first}. Roof is leaking again over the garage, can someone come out this week?",
    "Is the crew still coming {day}?",
    "Got the estimate, thanks! Give me a day to talk it over",
    "Can you call me when you get a chance?",
    "Running 10 min late for the appointment",
    "Yes {time} works",
    "Adjuster is here now, can you send someone?",
    "Thanks!! Looks great",
    "Do you have anything open {day}? Need the gutters looked at",
    "What's the total with the guards added?",
    "ok sounds good 👍",
)

SMS_OUTBOUND: Final[tuple[str, ...]] = (
    "Hi {contact_first}, this is {agent_first} from {org}. We can stop by {day} between {time} and 4pm. Does that work?",
    "Confirmed for {day} at {time}. See you then!",
    "Thanks {contact_first}! I'll send the updated estimate by email tonight.",
    "Crew is on the way, about 20 minutes out.",
    "Just checking in on the estimate - any questions I can answer?",
    "Reminder: your inspection is tomorrow at {time}. Reply STOP to opt out.",
)

COLORS: Final[tuple[str, ...]] = (
    "Weathered Wood",
    "Charcoal",
    "Driftwood",
    "Pewter Gray",
    "Barkwood",
    "Slate",
)
MATERIALS: Final[tuple[str, ...]] = (
    "architectural asphalt shingles",
    "standing seam metal",
    "3-tab shingles",
    "TPO membrane",
)
DAYS: Final[tuple[str, ...]] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
TIMES: Final[tuple[str, ...]] = ("8am", "9:30am", "10am", "11am", "1pm", "2pm", "3:30pm")

SALE_DESCRIPTIONS: Final[tuple[tuple[str, int, int], ...]] = (
    # description, min amount, max amount (USD)
    ("Full roof replacement - architectural shingles", 8_500, 28_000),
    ("Roof replacement - standing seam metal", 18_000, 46_000),
    ("Seamless gutters with micro-mesh guards", 1_200, 4_200),
    ("Leak repair - pipe boot and flashing", 350, 1_800),
    ("Skylight replacement", 1_500, 3_600),
    ("Storm damage repair (insurance)", 4_000, 19_500),
    ("Flat roof section - TPO", 3_800, 12_000),
    ("Roof inspection & tune-up", 150, 450),
    ("Siding repair", 2_000, 9_000),
)
