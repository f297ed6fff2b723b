; AgentDesk for Windows: an Inno Setup 6 script (per-user install, no admin rights).
;
; Built by the release workflow (.github/workflows/release.yml, the windows job) on a
; hosted runner after PyInstaller made dist\agentdesk\ from packaging\agentdesk.spec:
;
;   ISCC.exe /DAppVersion=X.Y.Z packaging\windows\agentdesk.iss
;
; AppVersion must be passed (the workflow reads it from app/__init__.py, the one place
; the version lives); the paths below are relative to this file. It cannot be built on
; the Linux machines this project is developed on: see packaging/README.md.
;
; What it does:
; - installs dist\agentdesk\ (the program, Qt, the llama.cpp engine and the bundled model
;   in models\) into %LOCALAPPDATA%\Programs\AgentDesk for the current user only;
; - a Start menu entry, and a desktop shortcut when the person ticks it;
; - "Open with AgentDesk" for .json files (AgentDesk's export format): listed in
;   Explorer's Open with menu, never made the default for every .json file; it runs
;   agentdesk.exe "%1": the window opens (or the running one comes forward) and
;   imports the file as a drop on the window would;
; - the uninstaller removes the program and leaves the data folder
;   (%LOCALAPPDATA%\AgentDesk: agents, chats, settings, logs, downloaded models) unless
;   the person answers Yes to removing it too.

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=X.Y.Z packaging\windows\agentdesk.iss
#endif

#define AppName "AgentDesk"
#define AppExeName "agentdesk.exe"
; The same identifier as the macOS bundle id and the AppStream id (URL-free: see
; packaging/README.md). Inno Setup keys the uninstall entry on AppId: never change it.
#define AppIdentifier "agentdesk.workbench.AgentDesk"
; The file type AgentDesk exports (conversations and agents) and imports back.
#define ExportExt ".json"
#define ExportProgId "AgentDesk.Export"
#define DistDir "..\..\dist\agentdesk"
#define IconFile "..\..\build\icons\agentdesk.ico"

[Setup]
AppId={#AppIdentifier}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
; Per-user: no UAC prompt; {autopf} is %LOCALAPPDATA%\Programs in this mode.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
; The frozen program is 64-bit.
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
ChangesAssociations=yes
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName} {#AppVersion}
; A running AgentDesk holds its files open: ask to close it first.
CloseApplications=yes
RestartApplications=no
; The model file (~250 MB) is already compressed: fast LZMA2 keeps the build short.
Compression=lzma2/fast
SolidCompression=no
OutputDir=..\..\dist
OutputBaseFilename=AgentDesk-{#AppVersion}-windows-x64-setup
WizardStyle=modern
; The licences of what it carries (the Gemma terms among them), shown before install.
LicenseFile=..\NOTICE.txt

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade starts from a clean program folder: a library or model file the new
; version no longer ships must not be loaded (the app takes the first GGUF in models\).
; Only the program folder: the data folder is never touched.
Type: filesandordirs; Name: "{app}\_internal"
Type: filesandordirs; Name: "{app}\models"

[Files]
; The model in models\ is read-only: an upgrade replaces it and the uninstaller removes it
; all the same.
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs overwritereadonly uninsremovereadonly
Source: "..\NOTICE.txt"; DestDir: "{app}"; Flags: ignoreversion

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Comment: "A local-first desktop workbench for AI agents"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Registry]
; "Open with" for AgentDesk's JSON exports: a ProgID of our own, added to the .json
; type's OpenWithProgids list (the default program for .json files stays as it was).
; HKA = HKCU in this per-user install. The uninstaller removes what it added.
Root: HKA; Subkey: "Software\Classes\{#ExportExt}\OpenWithProgids"; ValueType: string; ValueName: "{#ExportProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\{#ExportProgId}"; ValueType: string; ValueName: ""; ValueData: "AgentDesk export"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ExportProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExeName},0"
Root: HKA; Subkey: "Software\Classes\{#ExportProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExeName}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExeName}\SupportedTypes"; ValueType: string; ValueName: "{#ExportExt}"; ValueData: ""; Flags: uninsdeletekey

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
{ The data folder the app uses on Windows (platformdirs.user_data_dir("AgentDesk",
  appauthor=False), app/settings.py). AGENTDESK_HOME elsewhere is never touched. }
function DataFolder(): String;
begin
  Result := ExpandConstant('{localappdata}\{#AppName}');
end;

{ Keep the person's agents and chats unless they say otherwise. A silent uninstall
  (/SILENT, /VERYSILENT) never deletes them. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Folder: String;
begin
  if CurUninstallStep <> usPostUninstall then
    Exit;
  Folder := DataFolder();
  if UninstallSilent() or not DirExists(Folder) then
    Exit;
  if MsgBox('AgentDesk has been removed.' + #13#10#13#10 +
            'Your agents, chats, settings and downloaded models are still in' + #13#10 +
            Folder + #13#10#13#10 +
            'Delete them too? This cannot be undone.',
            mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
  begin
    if not DelTree(Folder, True, True, True) then
      MsgBox('Some files in ' + Folder + ' could not be deleted.', mbError, MB_OK);
  end;
end;
