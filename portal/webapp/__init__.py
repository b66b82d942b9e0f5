"""The therapist app in the browser (/app): an installable web app built on the public app API only."""
