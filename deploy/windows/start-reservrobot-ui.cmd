@echo off
rem Reservnummerroboten on a clerk's PC: starts the attended app on a fixed port and opens
rem the default browser. Double-click it, or use the desktop shortcut made by
rem install-shortcut.ps1. Close the black window (or press Ctrl+C in it) to stop the app.
setlocal
rem Where the robot is installed (a venv in .venv, see README.md). Change it here if needed.
if not defined RESERVROBOT_HOME set "RESERVROBOT_HOME=C:\reservnummer-robot"
rem The clerk's own data (journal, audit log, evidence): private to their Windows account.
if not defined RESERVROBOT_DATA_DIR set "RESERVROBOT_DATA_DIR=%LOCALAPPDATA%\reservrobot"
rem Settings shared by every clerk of the PC (addresses, the robot's accounts, the key).
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
