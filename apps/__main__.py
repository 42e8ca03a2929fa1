from apps.cli.main import app

app()
