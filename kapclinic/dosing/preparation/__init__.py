"""The pages of a session's preparation, set and setting (issue 15.2; R-INT-3, R-INT-8) and of
the clinic's playlist library: forms, selectors, views and their URL modules. The writes are in
``kapclinic.dosing.services.preparation`` and ``kapclinic.dosing.services.playlists``."""
