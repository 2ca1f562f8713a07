"""Every event and RPC payload of the platform, declared once, one module per publishing service."""
