"""Reports and exports of the ledger (issue 14.5): readily retrievable, printable, CSV."""
