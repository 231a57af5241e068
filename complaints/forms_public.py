"""Forms of the public pages (no login): the 我要投诉 form behind a plaque's QR code and the tracking form.

They parse and check what a resident types, with Chinese messages; `complaint_receive` checks again and saves.
Photos are checked by the service's `attachment_check` (type by content, at most 10 MB each), and here also
limited to images: a public complaint takes photos, not documents.
"""
from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Category
from .services import attachment_check
from .services.attachments import detect_type

MAX_PHOTOS = 3
MAX_DESCRIPTION = 2000
MAX_NAME = 20
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
PHOTO_ACCEPT = ",".join(IMAGE_TYPES)

# Full-width digits and dashes typed on a Chinese keyboard count as the plain ones.
_FULLWIDTH = str.maketrans("０１２３４５６７８９－—―‐", "0123456789----")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Area code: 010 and 02x have three digits, every other one four (0371); the number 7 or 8 digits, not
# starting with 0 or 1.
LANDLINE_RE = re.compile(r"^(0(?:10|2\d)|0[3-9]\d{2})-?([2-9]\d{6,7})$")
PHONE_MESSAGE = _("请填写正确的联系电话：11 位手机号码，或带区号的固定电话（如 0371-66668888）。")


def normalize_phone(raw: str) -> str | None:
    """A mainland mobile (13812345678) or landline with area code (0371-66668888), or None.

    Spaces, brackets, full-width digits and a +86 / 0086 prefix are accepted and dropped.
    """
    text = re.sub(r"[\s()（）]", "", (raw or "").translate(_FULLWIDTH))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix):].lstrip("-")
    digits = text.replace("-", "")
    if MOBILE_RE.match(digits):
        return digits
    if text.count("-") <= 1:
        landline = LANDLINE_RE.match(text) or LANDLINE_RE.match(digits)
        if landline:
            return f"{landline.group(1)}-{landline.group(2)}"
    return None


def phone_last4(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")[-4:]


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS images in one input, each checked by attachment_check and then for being an image."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": PHOTO_ACCEPT, "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        files = [single(item, initial) for item in items if item]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS}, code="too_many")
        errors = []
        for upload in files:
            try:
                attachment_check(upload)
            except ValidationError as exc:
                errors.extend(exc.messages)
                continue
            if detect_type(upload) not in IMAGE_TYPES:
                errors.append(_("文件“%(name)s”不是照片：请上传 JPG、PNG 或 WebP 格式的图片。") % {
                    "name": upload.name})
        if errors:
            raise ValidationError(errors)
        return files


class PublicComplaintForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("投诉类别"), queryset=Category.objects.filter(active=True), empty_label=_("请选择"),
        error_messages={"required": _("请选择投诉类别。"), "invalid_choice": _("请选择有效的投诉类别。")})
    description = forms.CharField(
        label=_("投诉内容"), max_length=MAX_DESCRIPTION, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("请写明问题发生的位置（楼栋、单元）、时间和具体情况，最多 2000 字。"),
        error_messages={"required": _("请填写投诉内容。"),
                        "max_length": _("投诉内容最多 %(limit_value)d 字（您填写了 %(show_value)d 字）。")})
    photos = PhotosField(
        label=_("现场照片（选填，最多 3 张）"),
        help_text=_("JPG、PNG 或 WebP 格式，每张不超过 10 MB。"))
    name = forms.CharField(
        label=_("您的姓名"), max_length=MAX_NAME,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("请填写您的姓名，便于街道回访。"),
                        "max_length": _("姓名最多 %(limit_value)d 字。")})
    phone = forms.CharField(
        label=_("联系电话"), max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("手机号码或带区号的固定电话。查询办理进度时需要输入其后四位。"),
        error_messages={"required": _("请填写联系电话，便于街道回访。"), "max_length": PHONE_MESSAGE})
    confidential = forms.BooleanField(
        label=_("不向物业企业透露我的姓名和电话"), required=False,
        help_text=_("勾选后只有街道和区住房保障部门的办理人员能看到您的姓名和电话。"))
    consent = forms.BooleanField(
        label=_("我已阅读并同意上述个人信息处理说明"),
        error_messages={"required": _("请阅读个人信息处理说明并勾选同意，否则无法提交。")})
    # The honeypot: hidden from people by CSS, filled by bots (see complaints/views/public.py).
    website = forms.CharField(label=_("请勿填写此项"), required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    HONEYPOT = "website"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-lg")
            else:
                widget.attrs.setdefault("class", "form-control form-control-lg")
        self.fields["description"].widget.attrs["maxlength"] = str(MAX_DESCRIPTION)
        self.fields["description"].widget.attrs["data-counter"] = "description-count"

    def clean_description(self):
        text = self.cleaned_data["description"].strip()
        if not text:
            raise ValidationError(_("请填写投诉内容。"))
        return text

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("请填写您的姓名，便于街道回访。"))
        return name

    def clean_phone(self):
        phone = normalize_phone(self.cleaned_data["phone"])
        if phone is None:
            raise ValidationError(PHONE_MESSAGE)
        return phone

    def title(self) -> str:
        """The order's title: the description's first line, shortened (the list shows it)."""
        first = self.cleaned_data["description"].splitlines()[0].strip()
        return first if len(first) <= 40 else first[:39] + "…"


TRACKING_CODE_RE = re.compile(r"^[0-9A-Z]{6,16}$")


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("查询码"), max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false", "class": "form-control form-control-lg"}),
        error_messages={"required": _("请填写查询码。")})
    phone_last4 = forms.CharField(
        label=_("联系电话后四位"), max_length=4, min_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{4}",
                                      "class": "form-control form-control-lg"}),
        error_messages={"required": _("请填写投诉时所留联系电话的后四位。"),
                        "min_length": _("请填写联系电话的后四位数字。"),
                        "max_length": _("请填写联系电话的后四位数字。")})

    def clean_code(self):
        code = re.sub(r"[\s\-]", "", self.cleaned_data["code"].translate(_FULLWIDTH)).upper()
        if not TRACKING_CODE_RE.match(code):
            raise ValidationError(_("查询码由字母和数字组成，请核对后重新输入。"))
        return code

    def clean_phone_last4(self):
        digits = self.cleaned_data["phone_last4"].translate(_FULLWIDTH).strip()
        if not re.fullmatch(r"\d{4}", digits):
            raise ValidationError(_("请填写联系电话的后四位数字。"))
        return digits
