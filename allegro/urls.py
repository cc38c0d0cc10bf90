"""URLs of the Allegro integration outside the admin (the OAuth callback lives here)."""

app_name = "allegro"
urlpatterns: list = []
