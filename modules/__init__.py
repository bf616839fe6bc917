"""Policy modules shipped with the portal; each folder is one module."""
