"""The web pages: templates and vendored static assets, nothing fetched at run time."""
