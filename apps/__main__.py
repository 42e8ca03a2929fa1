from apps.cli.main import app

# ``python -m apps`` is ``reservrobot``: the help and its hints name the command people type.
app(prog_name="reservrobot")
