"""The words the web app's scripts put together at run time, in the page's language. Everything
else the app shows is markup in its page. Placeholders are written {name}; the scripts fill them."""

from __future__ import annotations

from flask_babel import gettext as _

from ..schedule.models import CourseKind


def app_texts() -> dict:
    return {
        "stamp": _("%(date)s, %(time)s Uhr", date="{date}", time="{time}"),
        "status_synced": _("Stand: %(stamp)s", stamp="{stamp}"),
        "status_offline": _("Offline – Stand: %(stamp)s", stamp="{stamp}"),
        "status_offline_never": _("Offline – noch keine Daten"),
        "status_failed": _("Aktualisieren fehlgeschlagen – Stand: %(stamp)s", stamp="{stamp}"),
        "status_syncing": _("Wird aktualisiert …"),
        "status_preparing": _("Ihre Daten werden im Portal vorbereitet; die App versucht es gleich wieder."),
        "blocked_deactivated": _("Ihre Praxis hat die App-Nutzung deaktiviert – Sie sehen den letzten Stand, die "
                                 "Synchronisierung ist gesperrt"),
        "blocked_no_license": _("Ihre Praxisgruppe hat derzeit keine gültige Lizenz für die App – Sie sehen den "
                                "letzten Stand, die Synchronisierung ist gesperrt"),
        "wiped_revoked": _("Ihre Berechtigung wurde entzogen. Die Daten auf diesem Gerät wurden gelöscht. Für eine "
                           "neue Anmeldung brauchen Sie einen neuen Zugangscode."),
        "wiped_invalid": _("Diese Anmeldung gilt nicht mehr. Die Daten auf diesem Gerät wurden gelöscht. Bitte melden "
                           "Sie sich mit einem neuen Zugangscode an."),
        "signed_out": _("Sie sind abgemeldet. Die Daten auf diesem Gerät wurden gelöscht."),
        "signed_out_offline": _("Sie sind abgemeldet. Die Daten auf diesem Gerät wurden gelöscht; das Portal erfährt "
                                "es, sobald wieder eine Verbindung besteht."),
        "signing_in": _("Anmeldung läuft …"),
        "loading_data": _("Ihre Daten werden geladen …"),
        "requesting": _("Wird angefordert …"),
        "offline_action": _("Keine Verbindung zum Portal. Bitte versuchen Sie es erneut, sobald Sie wieder online "
                            "sind."),
        "server_error": _("Das Portal antwortet gerade nicht wie erwartet. Bitte versuchen Sie es später erneut."),
        "no_storage": _("Dieser Browser kann keine Daten speichern (etwa im privaten Modus). Bitte öffnen Sie die App "
                        "in einem normalen Browserfenster."),
        "today_title": _("Heute, %(date)s", date="{date}"),
        "time_range": _("%(start)s–%(end)s Uhr", start="{start}", end="{end}"),
        "minutes": _("%(n)s Min.", n="{n}"),
        "participants": _("%(n)s Teilnehmer", n="{n}"),
        "participants_title": _("Teilnehmer: %(n)s von %(capacity)s Plätzen", n="{n}", capacity="{capacity}"),
        "window": _("Ihre Daten reichen vom %(start)s bis zum %(end)s.", start="{start}", end="{end}"),
        "data_version": _("erzeugt am %(stamp)s (Version %(version)s)", version="{version}", stamp="{stamp}"),
        "never": _("noch nie"),
        "device_name": _("%(browser)s auf %(system)s", browser="{browser}", system="{system}"),
        "weekly": _("%(weekday)s, %(time)s", weekday="{weekday}", time="{time}"),
        "weekdays_plural": [_("montags"), _("dienstags"), _("mittwochs"), _("donnerstags"), _("freitags"),
                            _("samstags"), _("sonntags")],
        "kinds": {kind.value: kind.label for kind in CourseKind},
    }
