"""The app's pages, one module per screen family."""
