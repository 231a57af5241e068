import random
import string

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


_ORG_ALPHABET = string.digits + "ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_check_char(code8: str) -> str:
    """GB 11714 check character of the 9-character organisation code."""
    def value(ch):
        return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10

    r = 11 - sum(value(c) * w for c, w in zip(code8, _ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(r, str(r))


def generate_credit_code(rnd: random.Random, area_code: str = "370406") -> str:
    """A valid, made-up 统一社会信用代码 for demo and test data.

    91 = enterprise registered by the market regulator; the last character
    is computed by python-stdnum (GB 32100-2015).
    """
    org = "".join(rnd.choice(_ORG_ALPHABET) for _ in range(8))
    body = "91" + area_code + org + _org_check_char(org)
    return body + uscc.calc_check_digit(body)
