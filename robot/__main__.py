from robot.cli import app

app()
