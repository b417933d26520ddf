"""MCP as the runtime's tool client: server configs and the pool of live sessions."""

from runtime.mcp.client import McpPool, McpServers, PooledSession, ServerConfig
from runtime.mcp.config import SERVER_CONFIG, HttpServer, StdioServer

__all__ = [
    "SERVER_CONFIG",
    "HttpServer",
    "McpPool",
    "McpServers",
    "PooledSession",
    "ServerConfig",
    "StdioServer",
]
