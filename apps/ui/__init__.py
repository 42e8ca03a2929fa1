"""The attended web app for clinic staff (``reservrobot ui``); see README.md in this folder."""
