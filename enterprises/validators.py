from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc


def validate_credit_code(value: str) -> None:
    """统一社会信用代码: 18 characters, check character per GB 32100-2015 (python-stdnum)."""
    try:
        uscc.validate(value)
    except stdnum_exceptions.InvalidLength:
        raise ValidationError(_("统一社会信用代码应为 18 位。"), code="credit_code_length")
    except stdnum_exceptions.InvalidChecksum:
        raise ValidationError(_("统一社会信用代码校验位错误，请核对最后一位。"), code="credit_code_checksum")
    except stdnum_exceptions.ValidationError:
        raise ValidationError(_("统一社会信用代码格式不正确。"), code="credit_code_format")


def normalize_credit_code(value: str) -> str:
    return uscc.compact(value or "")
