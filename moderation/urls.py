from django.urls import path

from . import views

app_name = "office"
urlpatterns = [
    path("", views.home, name="home"),
    path("moderation/", views.moderation_queue, name="moderation_queue"),
    path("answers/", views.answer_queue, name="answer_queue"),
    path("overdue/", views.overdue_board, name="overdue"),
    path("reassign-requests/", views.reassign_requests, name="reassign_requests"),
    path("remarks/", views.remarks_queue, name="remarks_queue"),
    path("m/<str:number>/", views.review, name="review"),
    path("m/<str:number>/register/", views.register, name="register"),
    path("m/<str:number>/reject/", views.reject, name="reject"),
    path("m/<str:number>/duplicate/", views.duplicate, name="duplicate"),
    path("m/<str:number>/reassign/", views.reassign, name="reassign"),
    path("m/<str:number>/remarks/<int:rating>/", views.review_remarks, name="review_remarks"),
    path("m/<str:number>/answer/", views.answer, name="answer"),
    path("m/<str:number>/request-reassign/", views.request_reassign, name="request_reassign"),
    # The organisation's own data (§2.2, §2.5, §2.7): always the official's own organisation.
    path("organization/", views.organization_contacts, name="organization"),
    path("faq/", views.faq, name="faq"),
    path("faq/add/", views.faq_add, name="faq_add"),
    path("faq/<int:entry_id>/", views.faq_edit, name="faq_edit"),
    path("faq/<int:entry_id>/move/", views.faq_move, name="faq_move"),
    path("faq/<int:entry_id>/delete/", views.faq_delete, name="faq_delete"),
    path("proposals/", views.proposals, name="proposals"),
]
