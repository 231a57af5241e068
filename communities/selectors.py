def home_summary(*, user):
    return {}
