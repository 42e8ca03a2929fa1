# Creates the desktop shortcut "Reservnummerroboten" for the current Windows user.
# Run once per clerk (no administrator rights needed):
#   powershell -ExecutionPolicy Bypass -File C:\reservnummer-robot\deploy\windows\install-shortcut.ps1
param(
    [string]$RobotHome = "C:\reservnummer-robot"
)
$ErrorActionPreference = "Stop"
$target = Join-Path $RobotHome "deploy\windows\start-reservrobot-ui.cmd"
if (-not (Test-Path $target)) {
    throw "Hittar inte $target. Kontrollera var roboten är installerad (-RobotHome)."
}
$desktop = [Environment]::GetFolderPath("Desktop")
$shell = New-Object -ComObject WScript.Shell
$link = $shell.CreateShortcut((Join-Path $desktop "Reservnummerroboten.lnk"))
$link.TargetPath = $target
$link.WorkingDirectory = $RobotHome
$link.Description = "Registrera patienter med reservnummer i PMO"
$link.WindowStyle = 7  # minimised: the window only holds the app's log
$link.Save()
Write-Host "Genvägen Reservnummerroboten finns nu på skrivbordet."
