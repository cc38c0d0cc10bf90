"""Polish first: the panel speaks Polish unless the staff member picked another language
(the language cookie set by Django's set_language view). The browser's Accept-Language is not
consulted: a Polish shop's staff on an English-language browser still get the Polish panel."""

from django.conf import settings
from django.utils import translation


class PreferredLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        # override() puts the previous language back afterwards, so nothing leaks to the next
        # request served by this thread (or to code running after it, e.g. in tests).
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
