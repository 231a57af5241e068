"""Pieces every app's FilterSet shares: choices limited to the user's own places."""
import django_filters


def scoped_choices(model, *related):
    """A callable queryset for a filter's choices: the user's own rows (visible_to), never anybody else's."""

    def queryset(request):
        if request is None:
            return model.objects.none()
        qs = model.objects.visible_to(request.user)
        return qs.select_related(*related) if related else qs

    return queryset


class EstateModelChoiceField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.community.name} · {obj.name}"


class EstateChoiceFilter(django_filters.ModelChoiceFilter):
    """An estate filter labelled "社区 · 小区" (pass a queryset with select_related("community"))."""

    field_class = EstateModelChoiceField
