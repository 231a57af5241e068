from django.urls import path

from .views import contracts, credit, credit_admin, credit_public, firms, sanctions

app_name = "enterprises"
urlpatterns = [
    path("firms/", firms.FirmListView.as_view(), name="firm_list"),
    path("firms/new/", firms.FirmCreateView.as_view(), name="firm_create"),
    path("firms/<int:pk>/", firms.FirmDetailView.as_view(), name="firm_detail"),
    path("firms/<int:pk>/edit/", firms.FirmUpdateView.as_view(), name="firm_update"),
    path("contracts/", contracts.ContractListView.as_view(), name="contract_list"),
    path("contracts/<int:pk>/", contracts.ContractDetailView.as_view(), name="contract_detail"),
    path("contracts/<int:pk>/end/", contracts.ContractEndView.as_view(), name="contract_end"),
    path("estates/<int:estate_pk>/contracts/new/", contracts.ContractCreateView.as_view(),
         name="contract_create"),
    # Firm credit (enterprises/credit/)
    path("credit/", credit.CreditListView.as_view(), name="credit_list"),
    path("credit/queue/", credit.CreditQueueView.as_view(), name="credit_queue"),
    path("credit/firms/<int:pk>/", credit.CreditFileView.as_view(), name="credit_file"),
    path("credit/firms/<int:pk>/records/new/", credit.CreditRecordCreateView.as_view(), name="credit_record_create"),
    path("credit/records/<int:pk>/", credit.CreditRecordView.as_view(), name="credit_record"),
    path("credit/records/<int:pk>/document/", credit.CreditRecordDocumentView.as_view(),
         name="credit_record_document"),
    path("credit/records/<int:pk>/confirm/", credit.CreditRecordConfirmView.as_view(), name="credit_record_confirm"),
    path("credit/records/<int:pk>/object/", credit.CreditRecordObjectView.as_view(), name="credit_record_object"),
    path("credit/records/<int:pk>/repair/", credit.CreditRecordRepairView.as_view(), name="credit_record_repair"),
    path("credit/objections/<int:pk>/decide/", credit.CreditObjectionDecideView.as_view(),
         name="credit_objection_decide"),
    path("credit/rules/", credit_admin.CreditRulesView.as_view(), name="credit_rules"),
    path("credit/rules/new/", credit_admin.CreditRulesCreateView.as_view(), name="credit_rules_create"),
    path("credit/years/", credit_admin.CreditYearListView.as_view(), name="credit_years"),
    path("credit/years/run/", credit_admin.CreditYearRunView.as_view(), name="credit_year_run"),
    path("credit/years/<int:year>/", credit_admin.CreditYearDetailView.as_view(), name="credit_year"),
    path("credit/years/<int:year>/<slug:action>/", credit_admin.CreditYearActionView.as_view(),
         name="credit_year_action"),
    path("credit/blacklist/", credit_admin.CreditBlacklistView.as_view(), name="credit_blacklist"),
    path("credit/blacklist/<int:pk>/notice/", credit_admin.CreditBlacklistNoticeView.as_view(),
         name="credit_blacklist_notice"),
    path("credit/blacklist/<int:pk>/letters/", credit_admin.CreditBlacklistLettersView.as_view(),
         name="credit_blacklist_letters"),
    # Firm sanctions (enterprises/sanctions/)
    path("sanctions/", sanctions.SanctionListView.as_view(), name="sanction_list"),
    path("sanctions/firms/<int:pk>/new/", sanctions.EventCreateView.as_view(), name="sanction_event_create"),
    path("sanctions/events/<int:pk>/", sanctions.EventDetailView.as_view(), name="sanction_event"),
    path("sanctions/files/<int:pk>/", sanctions.EventFileView.as_view(), name="sanction_file"),
    # Without login
    path("credit/public/", credit_public.PublicCreditFirmListView.as_view(), name="public_credit"),
    path("credit/public/firms/<int:pk>/", credit_public.PublicCreditFirmView.as_view(), name="public_credit_firm"),
    path("credit/public/records/<int:pk>/", credit_public.PublicCreditRecordView.as_view(),
         name="public_credit_record"),
    path("credit/public/blacklist/", credit_public.PublicBlacklistView.as_view(), name="public_blacklist"),
]
