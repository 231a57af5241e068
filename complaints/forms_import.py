"""Forms of the 12345 import pages: the upload, and a column mapping written as plain text lines."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.forms import BootstrapFormMixin

from . import imports as reader
from .models import Category, ImportMapping, MatterType, Source, Urgency


class ImportUploadForm(BootstrapFormMixin, forms.Form):
    street = forms.ModelChoiceField(label=gettext_lazy("承办街道"), queryset=None, empty_label=None,
                                    help_text=gettext_lazy("地址匹配不到小区的工单进入该街道的待分拣队列。"))
    mapping = forms.ModelChoiceField(label=gettext_lazy("列映射"), queryset=None, empty_label=None,
                                     help_text=gettext_lazy("文件的列与平台字段的对应关系。"))
    file = forms.FileField(
        label=gettext_lazy("工单文件"),
        help_text=gettext_lazy("12345 热线导出的 Excel（.xlsx）或 CSV 文件，最大 20 MB。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        error_messages={"required": gettext_lazy("请选择要导入的文件"), "empty": gettext_lazy("上传的文件是空的")},
    )

    def __init__(self, *args, streets, mappings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets
        self.fields["mapping"].queryset = mappings
        self.fields["mapping"].label_from_instance = lambda m: f"{m.name}（{m.district.name}）"
        self.fields["street"].label_from_instance = lambda s: f"{s.district.name} · {s.name}"
        only = list(streets[:2])
        if len(only) == 1:
            self.fields["street"].initial = only[0].pk
            self.fields["street"].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        street, mapping = data.get("street"), data.get("mapping")
        if street and mapping and mapping.district_id != street.district_id:
            self.add_error("mapping", _("请选择%(d)s的列映射。") % {"d": street.district.name})
        return data


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip() and not line.strip().startswith("#")]


def _pairs(text: str) -> list[tuple[int, str, str]]:
    """`左=右` per line -> [(line number, left, right)]; a line without "=" is (n, line, "")."""
    out = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        left, sep, right = line.replace("＝", "=").partition("=")
        out.append((n, left.strip(), right.strip() if sep else ""))
    return out


def _choice_lookup(choices) -> dict[str, str]:
    table = {value: value for value, _label in choices}
    table.update({str(label): value for value, label in choices})
    return table


class MappingForm(BootstrapFormMixin, forms.Form):
    """One text box per field naming its source column; the code tables one `左=右` per line."""

    name = forms.CharField(label=gettext_lazy("名称"), max_length=60)
    source = forms.ChoiceField(label=gettext_lazy("来源"), choices=Source.choices, initial=Source.HOTLINE)
    active = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)
    date_formats = forms.CharField(
        label=gettext_lazy("受理时间的格式"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("每行一种，按顺序尝试，例如 %Y-%m-%d %H:%M:%S 或 %Y/%m/%d %H:%M。"))
    category_codes = forms.CharField(
        label=gettext_lazy("类别编码对应"), required=False, widget=forms.Textarea(attrs={"rows": 9}),
        help_text=gettext_lazy("每行“热线编码=类别”，类别写名称或代码，如 030601=环境卫生。"
                               "编码也可以只写前几位（如 0306），最长匹配优先；写 *=其他 可把其余编码都归入“其他”。"))
    urgency_values = forms.CharField(
        label=gettext_lazy("紧急程度对应"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("每行“文件里的写法=一般/紧急/特急”。一般、紧急、特急本身不用写。"))
    matter_values = forms.CharField(
        label=gettext_lazy("诉求类型对应"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("每行“文件里的写法=投诉/举报/求助/咨询/建议/表扬”。这六个词本身不用写。"))

    TEXT_FIELDS = ("date_formats", "category_codes", "urgency_values", "matter_values")

    def __init__(self, *args, mapping: ImportMapping | None = None, **kwargs):
        if mapping is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(mapping)
        super().__init__(*args, **kwargs)
        for f in reversed(reader.FIELDS):
            self.fields[f"col_{f.name}"] = forms.CharField(
                label=f.label, required=f.required, max_length=100,
                help_text=_("必填") if f.required else _("可不填：文件没有这一列时留空"),
                error_messages={"required": _("请填写“%(f)s”在文件中的列名。") % {"f": f.label}})
            self.fields[f"col_{f.name}"].widget.attrs.update({"class": "form-control", "maxlength": "100"})
        # the column boxes first, in the FIELDS order, after name/source/active
        order = ["name", "source", "active", *(f"col_{f.name}" for f in reader.FIELDS), *self.TEXT_FIELDS]
        self.order_fields(order)
        for name in self.TEXT_FIELDS:  # a code table can be longer than the usual free-text cap
            self.fields[name].max_length = 20000
            self.fields[name].validators = [v for v in self.fields[name].validators
                                            if not v.__class__.__name__ == "MaxLengthValidator"]
            self.fields[name].widget.attrs["maxlength"] = "20000"

    def column_fields(self):
        return [self[f"col_{f.name}"] for f in reader.FIELDS]

    @staticmethod
    def initial_from(mapping: ImportMapping) -> dict:
        names = dict(Category.objects.values_list("code", "name"))
        urgency = dict(Urgency.choices)
        matter = dict(MatterType.choices)
        initial = {
            "name": mapping.name, "source": mapping.source, "active": mapping.active,
            "date_formats": "\n".join(mapping.date_formats or []),
            "category_codes": "\n".join(f"{k}={names.get(v, v)}" for k, v in sorted((mapping.category_codes or {}).items())),
            "urgency_values": "\n".join(f"{k}={urgency.get(v, v)}" for k, v in (mapping.urgency_values or {}).items()),
            "matter_values": "\n".join(f"{k}={matter.get(v, v)}" for k, v in (mapping.matter_values or {}).items()),
        }
        for f in reader.FIELDS:
            initial[f"col_{f.name}"] = (mapping.columns or {}).get(f.name, "")
        return initial

    def _table(self, name, lookup: dict[str, str], what: str) -> dict[str, str]:
        out, problems = {}, []
        for n, left, right in _pairs(self.cleaned_data.get(name, "")):
            if not left or not right:
                problems.append(_("第 %(n)s 行“%(l)s”应写成“左=右”。") % {"n": n, "l": left})
                continue
            value = lookup.get(right)
            if value is None:
                problems.append(_("第 %(n)s 行：“%(r)s”不是有效的%(w)s。") % {"n": n, "r": right, "w": what})
                continue
            if left in out:
                problems.append(_("第 %(n)s 行：“%(l)s”写了两次。") % {"n": n, "l": left})
                continue
            out[left] = value
        if problems:
            self.add_error(name, problems)
        return out

    def clean(self):
        """Read the code tables here, so every bad line is shown at once with the other fields' errors."""
        cleaned = super().clean()
        categories = {}
        for code, name in Category.objects.values_list("code", "name"):
            categories[code] = code
            categories[name] = code
        self._data = {
            "name": cleaned.get("name", ""), "source": cleaned.get("source", ""),
            "active": cleaned.get("active", False),
            "columns": {f.name: self.cleaned_data.get(f"col_{f.name}", "") for f in reader.FIELDS},
            "date_formats": _lines(self.cleaned_data.get("date_formats", "")),
            "category_codes": self._table("category_codes", categories, _("投诉类别")),
            "urgency_values": self._table("urgency_values", _choice_lookup(Urgency.choices), _("紧急程度")),
            "matter_values": self._table("matter_values", _choice_lookup(MatterType.choices), _("诉求类型")),
        }
        return cleaned

    def to_data(self) -> dict | None:
        """The service's `data` (plain dicts and lists) of a valid form, else None."""
        return self._data if self.is_valid() else None
