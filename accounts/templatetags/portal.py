from django import template

from accounts.scope import scope_of

register = template.Library()


@register.simple_tag(takes_context=True)
def url_replace(context, **kwargs):
    """The current query string with some keys replaced (pagination, sort links)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    query.pop("export", None)
    return query.urlencode()


@register.simple_tag(takes_context=True)
def sort_link(context, key):
    """Query string that sorts by `key`, toggling direction if already sorted by it."""
    current = context["request"].GET.get("sort", "")
    new = f"-{key}" if current == key else key
    return url_replace(context, sort=new, page=None)


@register.filter
def sort_icon(current, key):
    if current == key:
        return "▲"
    if current == f"-{key}":
        return "▼"
    return ""


@register.simple_tag(takes_context=True)
def user_scope(context):
    return scope_of(context["request"].user)


@register.filter
def percent(value, digits=1):
    if value is None:
        return "—"
    return f"{value:.{int(digits)}f}%"
