"""Who may call what: the product's decision, written down independently of the route
table. tests/security/test_authorization.py checks the table against the routes (a new
route without an entry fails) and every route × role against the running gateway.

Roles: public (no token needed), admin, social_worker (staff), volunteer (own records
only, enforced per object), district_viewer (reports only)."""

PUBLIC = "public"
STAFF = {"admin", "social_worker"}
SELF_SERVICE = STAFF | {"volunteer"}
REPORT_READERS = STAFF | {"district_viewer"}
ANY_USER = STAFF | {"volunteer", "district_viewer"}

EXPECTED = {
    "POST /auth/login": PUBLIC,
    "GET /me": ANY_USER,
    "GET /users": {"admin"},
    "POST /users": {"admin"},
    "PATCH /users/<int:user_id>": {"admin"},
    "POST /me/password": ANY_USER,
    "GET /vocabularies": PUBLIC,
    # events (public listing, registration, feedback; the rest is staff work)
    "GET /events": PUBLIC,
    "POST /events": STAFF,
    "GET /events/<int:event_id>": PUBLIC,
    "PATCH /events/<int:event_id>": STAFF,
    "POST /events/<int:event_id>/publish": STAFF,
    "POST /events/<int:event_id>/cancel": STAFF,
    "POST /events/<int:event_id>/complete": STAFF,
    "POST /events/<int:event_id>/roles": STAFF,
    "POST /events/<int:event_id>/registrations": PUBLIC,
    "GET /events/<int:event_id>/registrations": STAFF,
    "DELETE /registrations/<int:registration_id>": PUBLIC,
    "POST /events/<int:event_id>/attendance": STAFF,
    "GET /events/<int:event_id>/sign-in-sheet": STAFF,
    "POST /events/<int:event_id>/feedback": PUBLIC,
    # QR codes and the door check-in: the door token is staff's to print
    "GET /events/<int:event_id>/door-codes": STAFF,
    "GET /events/<int:event_id>/qr": STAFF,
    "GET /events/<int:event_id>/poster": STAFF,
    "GET /door/<token>": PUBLIC,
    "POST /door/<token>/check-in": PUBLIC,
    # linkage
    "POST /events/<int:event_id>/decisions": STAFF,
    "GET /actions": STAFF,
    "PATCH /actions/<int:item_id>": STAFF,
    "GET /ideas": PUBLIC,
    "POST /ideas": PUBLIC,
    "GET /ideas/<int:idea_id>": PUBLIC,
    "POST /ideas/<int:idea_id>/votes": PUBLIC,
    "POST /ideas/<int:idea_id>/adopt": STAFF,
    # the contract's money: staff keep the ledger; the lines and the statement for readers
    "POST /expenditures": STAFF,
    "GET /expenditures": STAFF,
    "GET /expenditures/<int:expenditure_id>": STAFF,
    "GET /budget/lines": REPORT_READERS,
    "GET /budget": REPORT_READERS,
    "GET /reports/years": REPORT_READERS,
    # consultations (意见征集): residents read and answer; staff create; results for readers
    "GET /consultations": PUBLIC,
    "POST /consultations": STAFF,
    "GET /consultations/<int:consultation_id>": PUBLIC,
    "POST /consultations/<int:consultation_id>/answers": PUBLIC,
    "GET /consultations/<int:consultation_id>/results": REPORT_READERS,
    "GET /consultations/<int:consultation_id>/results/export": REPORT_READERS,
    # evidence attachments (photos, files): staff only, never volunteers or the district
    "POST /attachments": STAFF,
    "GET /attachments": STAFF,
    "GET /attachments/<int:attachment_id>": STAFF,
    "GET /attachments/<int:attachment_id>/file": STAFF,
    "GET /attachments/<int:attachment_id>/thumbnail": STAFF,
    "DELETE /attachments/<int:attachment_id>": STAFF,
    "GET /reports/attachments": REPORT_READERS,  # counts only
    # reports
    "GET /reports/kpis": REPORT_READERS,
    "GET /reports/summary": REPORT_READERS,
    "GET /reports/periodic": REPORT_READERS,
    "POST /reports/periods/<period>/close": STAFF,
    "POST /reports/rebuild": {"admin"},
    "GET /reports/rebuild": {"admin"},
    "POST /reports/summary/publish": {"admin"},
    # the evaluation dossier (评估台账): staff build it and hand it to the evaluators
    "POST /reports/dossiers": STAFF,
    "GET /reports/dossiers/<dossier_id>": STAFF,
    "GET /reports/dossiers/<dossier_id>/pdf": STAFF,
    "GET /reports/dossiers/<dossier_id>/zip": STAFF,
    "GET /district/summary": {"admin", "district_viewer"},
    "GET /district/communities": {"admin", "district_viewer"},
    "GET /district/communities/<community_id>": {"admin", "district_viewer"},
    # sample (demonstration) data of the instance
    "GET /admin/sample-data": {"admin"},
    "POST /admin/sample-data/clear": {"admin"},
    # who revealed personal data or changed a user
    "GET /audit-log": {"admin"},
    # resources
    "GET /partners": STAFF,
    "POST /partners": STAFF,
    "GET /partners/<int:partner_id>": STAFF,
    "PATCH /partners/<int:partner_id>": STAFF,
    "POST /partners/<int:partner_id>/archive": STAFF,
    "DELETE /partners/<int:partner_id>": STAFF,
    "GET /resources": STAFF,
    "POST /resources": STAFF,
    "GET /resources/export": STAFF,
    "GET /resources/<int:resource_id>": STAFF,
    "PATCH /resources/<int:resource_id>": STAFF,
    "POST /resources/<int:resource_id>/archive": STAFF,
    "DELETE /resources/<int:resource_id>": STAFF,
    "GET /venues": STAFF,
    "POST /venues": {"admin"},
    "PATCH /venues/<int:venue_id>": {"admin"},
    "GET /venues/<int:venue_id>": STAFF,
    "GET /venues/<int:venue_id>/bookings": STAFF,
    "POST /venues/<int:venue_id>/bookings": STAFF,
    "GET /bookings/<int:booking_id>": STAFF,
    "DELETE /bookings/<int:booking_id>": STAFF,
    "POST /venues/<int:venue_id>/booking-series/preview": STAFF,
    "POST /venues/<int:venue_id>/booking-series": STAFF,
    "GET /booking-series/<int:series_id>": STAFF,
    "DELETE /booking-series/<int:series_id>": STAFF,
    "GET /needs": STAFF,
    "POST /needs": STAFF,
    "GET /needs/<int:need_id>": STAFF,
    "GET /needs/<int:need_id>/suggestions": STAFF,
    "POST /needs/<int:need_id>/matches": STAFF,
    "POST /needs/<int:need_id>/start": STAFF,
    "POST /needs/<int:need_id>/close": STAFF,
    # volunteers (a volunteer reaches their own records only)
    "GET /volunteers": STAFF,
    "POST /volunteers": STAFF,
    "GET /volunteers/available": STAFF,
    "GET /volunteers/<int:volunteer_id>": SELF_SERVICE,
    "PATCH /volunteers/<int:volunteer_id>": SELF_SERVICE,
    "GET /teams": SELF_SERVICE,
    "POST /teams": STAFF,
    "GET /shifts": SELF_SERVICE,
    "GET /shifts/open": SELF_SERVICE,
    "POST /shifts": STAFF,
    "GET /shifts/<int:shift_id>": SELF_SERVICE,
    "POST /shifts/<int:shift_id>/signups": SELF_SERVICE,
    "GET /signups": SELF_SERVICE,
    "DELETE /signups/<int:signup_id>": SELF_SERVICE,
    "POST /signups/<int:signup_id>/check-in": SELF_SERVICE,
    "POST /signups/<int:signup_id>/check-out": SELF_SERVICE,
    "GET /hours": SELF_SERVICE,
    "POST /hours": SELF_SERVICE,
    "POST /hours/<int:entry_id>/approve": STAFF,
    "POST /hours/<int:entry_id>/reject": STAFF,
    "POST /volunteers/<int:volunteer_id>/certificates": STAFF,
    "GET /volunteers/<int:volunteer_id>/certificates": SELF_SERVICE,
    "POST /certificates/<number>/reissue": STAFF,
    "GET /certificates/<number>/pdf": SELF_SERVICE,
    "GET /certificates/<number>/verify": PUBLIC,
    "POST /applications": PUBLIC,
    "GET /applications": STAFF,
    "POST /applications/<int:application_id>/approve": STAFF,
    "POST /applications/<int:application_id>/decline": STAFF,
}

# Where a volunteer reaches only their own records (the routes' own_records_only): the
# gateway checks the volunteer a request names, the service the owner of a sign-up or
# certificate. The other routes open to volunteers are shared reads.
VOLUNTEER_OWN_RECORDS = {
    "GET /volunteers/<int:volunteer_id>",
    "PATCH /volunteers/<int:volunteer_id>",
    "POST /shifts/<int:shift_id>/signups",
    "GET /shifts/open",
    "GET /signups",
    "DELETE /signups/<int:signup_id>",
    "POST /signups/<int:signup_id>/check-in",
    "POST /signups/<int:signup_id>/check-out",
    "GET /hours",
    "POST /hours",
    "GET /volunteers/<int:volunteer_id>/certificates",
    "GET /certificates/<number>/pdf",
}
VOLUNTEER_SHARED_READS = {"GET /me", "POST /me/password", "GET /teams", "GET /shifts",
                          "GET /shifts/<int:shift_id>"}
