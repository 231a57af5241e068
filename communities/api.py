def register(router):
    """Register this app's viewsets on the portal's router."""
