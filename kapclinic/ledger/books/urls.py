"""The ledger's books as staff use them: accounts, entries, the entry forms, stock set-up."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from kapclinic.ledger.books import entry_views, setup_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("accounts/<uuid:public_id>/", views.account, name="account"),
    path("accounts/<uuid:public_id>/receive/", entry_views.receive, name="receive"),
    path("accounts/<uuid:public_id>/waste/", entry_views.waste, name="waste"),
    path("accounts/<uuid:public_id>/dispense/", entry_views.dispense, name="dispense"),
    path("accounts/<uuid:public_id>/transfer/", entry_views.transfer, name="transfer"),
    path("accounts/<uuid:public_id>/destroy/", entry_views.destroy, name="destroy"),
    path("accounts/<uuid:public_id>/adjust/", entry_views.adjust, name="adjust"),
    path("entries/<uuid:public_id>/", views.entry, name="entry"),
    path("entries/<uuid:public_id>/reverse/", views.reverse_entry, name="reverse"),
    path("entries/<uuid:public_id>/return/", entry_views.record_return, name="return"),
    path("setup/", setup_views.setup, name="setup"),
    path("setup/products/new/", setup_views.add_product, name="add-product"),
    path(
        "setup/products/<uuid:public_id>/retire/",
        setup_views.retire_product,
        name="retire-product",
    ),
    path("setup/lots/new/", setup_views.add_lot, name="add-lot"),
    path("setup/accounts/new/", setup_views.open_account, name="open-account"),
    path("setup/accounts/<uuid:public_id>/close/", setup_views.close_account, name="close-account"),
    path("setup/settings/", setup_views.ledger_settings, name="settings"),
]
