# entra8344 doctor: PowerShell's language mode and version, and how long importing the ADSync
# module takes. Prints ONE JSON document. Constrained Language Mode safe (cmdlets, hashtables,
# core types only), like the collector. ASCII only: powershell.exe reads it from stdin.
# Parameters arrive in the environment:
#   ENTRA8344_DOCTOR_IMPORT  1 = import the ADSync module and time it
#   ENTRA8344_ADSYNC_MODULE  path of ADSync.psd1; empty = Import-Module ADSync
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$r = @{
    language_mode = "$($ExecutionContext.SessionState.LanguageMode)"
    version       = "$($PSVersionTable.PSVersion)"
    module        = $null
}
if ($env:ENTRA8344_DOCTOR_IMPORT -eq '1') {
    $m = @{ path = "$env:ENTRA8344_ADSYNC_MODULE"; imported = $false; import_ms = $null; version = ''; error = '' }
    $name = 'ADSync'
    if ($m.path -ne '') { $name = $m.path }
    $t0 = Get-Date
    try {
        $mod = @(Import-Module -Name $name -PassThru -ErrorAction Stop)
        $m.import_ms = [int]((Get-Date) - $t0).TotalMilliseconds
        $m.imported = $true
        if ($mod.Count -gt 0) { $m.version = "$($mod[0].Version)" }
    } catch {
        $m.import_ms = [int]((Get-Date) - $t0).TotalMilliseconds
        $m.error = "$($_.Exception.Message)"
    }
    $r.module = $m
}
ConvertTo-Json -InputObject $r -Depth 4 -Compress
