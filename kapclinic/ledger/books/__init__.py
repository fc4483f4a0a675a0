"""The ledger's books as staff use them: accounts, entries, the entry forms, stock set-up."""
