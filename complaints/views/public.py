"""Pages without login: the 我要投诉 form behind an estate's plaque QR code, its thank-you page with the tracking
code, and the tracking page where the complainant follows the order.

The form finds the estate the way the plaque's verification page does (the rating's id and its signed token,
ratings.selectors.rating_for_plaque), so complaints come from someone holding the QR code, and an id alone
opens nothing. A complaint goes through `complaint_receive` (no actor, source 网上投诉) into the street's
queue; the service notifies the street.

Abuse limits (django-ratelimit counters in the shared cache, see settings "Cache and rate limits"):
- per client address, every post of the form (COMPLAINT_PUBLIC_RATE_IP_POSTS, a flood guard checked before
  the body is read); per client address and per phone number, each complaint about to be saved
  (COMPLAINT_PUBLIC_RATE_IP, COMPLAINT_PUBLIC_RATE_PHONE); over a limit: HTTP 429, a Chinese page;
- a post larger than COMPLAINT_PUBLIC_MAX_BYTES is answered (413, in Chinese) without being read;
- a honeypot field: a bot that fills it gets the same thank-you page, with a code that names nothing;
- tracking: per client address every query counts (COMPLAINT_TRACK_RATE_IP), and wrong code/digit pairs per
  code (COMPLAINT_TRACK_RATE_CODE), so a leaked code's last four digits cannot be tried out.
"""
from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from accounts.ratelimit import client_ip
from accounts.ratelimit import over_limit as _over
from ratings.selectors import rating_for_plaque

from ..forms import add_service_errors
from ..forms_public import PublicComplaintForm, TrackForm, phone_last4
from ..models import Complaint, Source, Status
from ..numbers import new_tracking_code
from ..services import complaint_receive

DONE_SALT = "complaints.public.done"
DONE_MAX_AGE = 24 * 3600  # the thank-you page's link works for a day; the code itself never expires

# The status in plain words for the complainant (Status labels are the clerks' words).
PUBLIC_STATUS = {
    Status.RECEIVED: gettext_lazy("已受理，等待街道派单"),
    Status.DISPATCHED: gettext_lazy("已受理，等待街道派单"),
    Status.RETURNED: gettext_lazy("街道正在重新派单"),
    Status.ASSIGNED: gettext_lazy("已派给物业企业，等待签收"),
    Status.SIGNED: gettext_lazy("物业企业正在办理"),
    Status.ANSWERED: gettext_lazy("物业企业已答复，街道将回访您"),
    Status.CALLED_BACK: gettext_lazy("街道已回访，即将办结"),
    Status.CLOSED: gettext_lazy("已办结"),
}
ANSWER_SHOWN = (Status.ANSWERED, Status.CALLED_BACK, Status.CLOSED)


# --- rate limits ------------------------------------------------------------------------------------------

def too_many(request, *, what: str):
    response = render(request, "complaints/public_429.html", {"what": what}, status=429)
    response["Retry-After"] = "600"
    return response


# --- the form ---------------------------------------------------------------------------------------------

def _estate(pk: int, token: str):
    rating = rating_for_plaque(pk, token)
    if rating is None:
        raise Http404(_("该二维码无效。"))
    return rating.estate


def _done_url(code: str) -> str:
    return reverse("complaints:public_done", args=[signing.dumps(code, salt=DONE_SALT, compress=True)])


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class PublicComplaintView(View):
    """我要投诉. CSRF is checked by hand after the size check (csrf_protect on _submit): the middleware would
    read the whole body first, whatever its size."""

    template_name = "complaints/public_new.html"

    def _render(self, request, estate, form, status=200, too_large=False):
        return render(request, self.template_name, {
            "estate": estate, "form": form, "too_large": too_large,
            "max_mb": settings.COMPLAINT_PUBLIC_MAX_BYTES // (1024 * 1024)}, status=status)

    @method_decorator(csrf_protect)
    def get(self, request, pk, token):
        return self._render(request, _estate(pk, token), PublicComplaintForm())

    def post(self, request, pk, token):
        estate = _estate(pk, token)
        if _over(request, "complaints.public.post.ip", settings.COMPLAINT_PUBLIC_RATE_IP_POSTS, client_ip):
            return too_many(request, what="submit")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.COMPLAINT_PUBLIC_MAX_BYTES:
            return self._render(request, estate, PublicComplaintForm(), status=413, too_large=True)
        return self._submit(request, estate)

    @method_decorator(csrf_protect)
    def _submit(self, request, estate):
        if request.POST.get(PublicComplaintForm.HONEYPOT):
            # A bot: the same answer as a person gets, a code that names nothing, nothing saved.
            return redirect(_done_url(new_tracking_code()))
        form = PublicComplaintForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, estate, form)
        data = form.cleaned_data
        if _over(request, "complaints.public.saved.ip", settings.COMPLAINT_PUBLIC_RATE_IP, client_ip):
            return too_many(request, what="submit")
        if _over(request, "complaints.public.saved.phone", settings.COMPLAINT_PUBLIC_RATE_PHONE,
                 lambda group, request: data["phone"]):
            return too_many(request, what="phone")
        now = timezone.now()
        street = estate.community.street
        try:
            complaint = complaint_receive(
                actor=None, source=Source.ONLINE, street=street, estate=estate, received_at=now, now=now,
                category=data["category"], title=form.title(), content=data["description"],
                address=" ".join(filter(None, [estate.name, estate.address])),
                complainant_name=data["name"], complainant_phone=data["phone"],
                confidential=data["confidential"], files=data["photos"])
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self._render(request, estate, form)
        return redirect(_done_url(complaint.tracking_code))


@method_decorator(never_cache, name="dispatch")
class PublicDoneView(View):
    """The thank-you page: the tracking code, big and copyable, and the way to the tracking page."""

    def get(self, request, signed):
        try:
            code = signing.loads(signed, salt=DONE_SALT, max_age=DONE_MAX_AGE)
        except signing.BadSignature:
            raise Http404(_("该页面已失效。")) from None
        return render(request, "complaints/public_done.html", {
            "code": code, "track_url": f"{reverse('complaints:public_track')}?code={code}"})


# --- tracking ---------------------------------------------------------------------------------------------

def public_timeline(complaint: Complaint) -> list[dict]:
    """The steps a complainant sees, each with its date once reached (the current round after a 重办)."""
    steps = [
        (_("已受理"), complaint.received_at),
        (_("已派单"), complaint.assigned_at),
        (_("已签收"), complaint.signed_at),
        (_("已答复"), complaint.answered_at),
        (_("已办结"), complaint.closed_at if complaint.status == Status.CLOSED else None),
    ]
    return [{"label": label, "at": at, "done": at is not None} for label, at in steps]


def public_view(complaint: Complaint) -> dict:
    """Only what the complainant may see: no names, phones, internal comments, attachments or numbers."""
    merged = complaint.status == Status.MERGED and complaint.merged_into_id is not None
    case = complaint.merged_into if merged else complaint
    return {
        "category": complaint.category.name,
        "received_at": complaint.received_at,
        "estate": complaint.estate.name if complaint.estate_id else "",
        "status": PUBLIC_STATUS.get(case.status, _("办理中")),
        "closed": case.status == Status.CLOSED,
        "merged": merged,
        "reopened": case.reopened_count > 0 and case.status != Status.CLOSED,
        "timeline": public_timeline(case),
        "answer": case.answer if case.status in ANSWER_SHOWN else "",
    }


@method_decorator(never_cache, name="dispatch")
class TrackView(View):
    """查询办理进度: the tracking code and the last four digits of the phone given with the complaint."""

    template_name = "complaints/public_track.html"

    def get(self, request):
        code = request.GET.get("code", "")
        form = TrackForm(initial={"code": code[:30]})
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        if _over(request, "complaints.public.track.ip", settings.COMPLAINT_TRACK_RATE_IP, client_ip):
            return too_many(request, what="track")
        form = TrackForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form})
        code, digits = form.cleaned_data["code"], form.cleaned_data["phone_last4"]
        code_key = (lambda group, request: code)  # noqa: E731
        rate = settings.COMPLAINT_TRACK_RATE_CODE
        if _over(request, "complaints.public.track.code", rate, code_key, increment=False):
            return too_many(request, what="track")
        complaint = (Complaint.objects.select_related("category", "estate", "merged_into")
                     .filter(tracking_code=code).first())
        if complaint is None or not constant_time_compare(phone_last4(complaint.complainant_phone), digits):
            _over(request, "complaints.public.track.code", rate, code_key)
            form.add_error(None, _("查询码或手机号后四位不正确"))
            return render(request, self.template_name, {"form": form})
        # The pair the complainant just typed stays in the form, so 刷新进度 asks again without retyping.
        return render(request, self.template_name, {"form": TrackForm(initial={"code": code, "phone_last4": digits}),
                                                    "result": public_view(complaint)})


urlpatterns = [
    path("<int:pk>/<str:token>/new/", PublicComplaintView.as_view(), name="public_new"),
    path("done/<str:signed>/", PublicDoneView.as_view(), name="public_done"),
    path("track/", TrackView.as_view(), name="public_track"),
]
