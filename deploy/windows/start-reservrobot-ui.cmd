@echo off
rem Reservnummerroboten on a clerk's PC: starts the attended app on a fixed port and opens
rem the default browser. Double-click it, or use the desktop shortcut made by
rem install-shortcut.ps1. Close the black window (or press Ctrl+C in it) to stop the app.
setlocal
rem Where the robot is installed (a venv in .venv, see README.md). Change it here if needed.
if not defined RESERVROBOT_HOME set "RESERVROBOT_HOME=C:\reservnummer-robot"
rem The clerk's own local files (evidence, logs): private to their Windows account.
if not defined RESERVROBOT_DATA_DIR set "RESERVROBOT_DATA_DIR=%LOCALAPPDATA%\reservrobot"
rem The region's one shared store (leases, journal, queue, audit log): every clerk's app and
rem every robot machine must use it, or two of them can register one person twice. The clerk
rem logs in with their own database role, their Windows login (SSPI/GSSAPI): no password here.
rem IT sets the database server once, here or as a system environment variable.
if not defined RESERVROBOT_DB_HOST set "RESERVROBOT_DB_HOST=reservrobot-db.region.local"
if not defined RESERVROBOT_STORE_DSN set "RESERVROBOT_STORE_DSN=postgresql://%USERNAME%@%RESERVROBOT_DB_HOST%:5432/reservrobot?sslmode=verify-full&krbsrvname=postgres"
rem Settings shared by every clerk of the PC: addresses only, no secret. The clerk signs in to
rem the systems with their own account in the robot's window; no robot password belongs here
rem (the app refuses to start if it finds one). The pseudonym key is in the clerk's own
rem Windows Credential Manager (reservrobot secrets set pseudonym-key).
if not defined RESERVROBOT_CONFIG_FILE set "RESERVROBOT_CONFIG_FILE=%RESERVROBOT_HOME%\reservrobot.toml"
set "RESERVROBOT_UI_PORT=8700"
title Reservnummerroboten
cd /d "%RESERVROBOT_HOME%"
"%RESERVROBOT_HOME%\.venv\Scripts\reservrobot.exe" ui --port %RESERVROBOT_UI_PORT%
if errorlevel 1 (
  echo.
  echo Reservnummerroboten kunde inte starta. Kontakta IT-support och visa texten ovan.
  pause
)
endlocal
