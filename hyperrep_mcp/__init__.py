"""hyperrep-mcp: an MCP server for the HyperRep sales inbox."""

__version__ = "0.1.0"
