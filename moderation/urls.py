from django.urls import path

from . import views

app_name = "office"
urlpatterns = [
    path("", views.home, name="home"),
    path("moderation/", views.moderation_queue, name="moderation_queue"),
    path("answers/", views.answer_queue, name="answer_queue"),
    path("overdue/", views.overdue_board, name="overdue"),
    path("reassign-requests/", views.reassign_requests, name="reassign_requests"),
    path("m/<str:number>/", views.review, name="review"),
    path("m/<str:number>/register/", views.register, name="register"),
    path("m/<str:number>/reject/", views.reject, name="reject"),
    path("m/<str:number>/duplicate/", views.duplicate, name="duplicate"),
    path("m/<str:number>/reassign/", views.reassign, name="reassign"),
    path("m/<str:number>/answer/", views.answer, name="answer"),
    path("m/<str:number>/request-reassign/", views.request_reassign, name="request_reassign"),
]
