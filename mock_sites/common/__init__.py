"""Parts shared by the three mock sites: login and session, faults, storage, templates, forms."""
