"""URLs of the Allegro integration outside the admin. The callback path is registered at
apps.developer.allegro.pl: never change it."""

from django.urls import include, path

from allegro.accounts import views

app_name = "allegro"
urlpatterns = [
    path("oauth/callback/", views.oauth_callback, name="oauth_callback"),
    path("switch-account/", views.switch_account, name="switch_account"),
    path("descriptions/", include("allegro.descriptions.views")),
    path("categories/", include("allegro.categories.views")),
    path("listing/", include("allegro.listing.views")),
    path("shipments/", include("allegro.shipments.views")),
]
