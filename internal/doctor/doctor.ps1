# entra8344 doctor: PowerShell's language mode and version, how long importing the ADSync
# module takes, and whether this identity may use its cmdlets (Get-ADSyncScheduler needs
# ADSyncAdmins or the like). Prints ONE JSON document on one line starting with ENTRA8344-JSON:.
# Constrained Language Mode safe (cmdlets, hashtables, core types only), like the collector.
# ASCII only: powershell.exe reads it from stdin.
# Parameters arrive in the environment:
#   ENTRA8344_DOCTOR_IMPORT  1 = import the ADSync module and time it
#   ENTRA8344_ADSYNC_MODULE  path of ADSync.psd1; empty = Import-Module ADSync
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$DebugPreference = 'SilentlyContinue'

# --- ConvertTo-AsciiJson (identical in collector.ps1, sync.ps1 and doctor.ps1) ---
# Escapes non-ASCII as \uXXXX so the console code page cannot mangle names on the way out.
# -split with a capture group keeps each non-ASCII run at an odd index: only those characters
# are escaped one by one, the ASCII between them is copied whole (CLM-safe: operators, casts
# and methods of [string] only).
function ConvertTo-AsciiJson {
    param([string]$Text)
    $parts = $Text -split '([^\x00-\x7F]+)'
    if ($parts.Count -le 1) { return $Text }
    return -join @(for ($i = 0; $i -lt $parts.Count; $i++) {
            if ($i % 2 -eq 0) { $parts[$i] } else {
                -join @(foreach ($ch in $parts[$i].ToCharArray()) { '\u{0:x4}' -f [int]$ch })
            }
        })
}
# --- end ConvertTo-AsciiJson ---
$r = @{
    language_mode = "$($ExecutionContext.SessionState.LanguageMode)"
    version       = "$($PSVersionTable.PSVersion)"
    module        = $null
}
if ($env:ENTRA8344_DOCTOR_IMPORT -eq '1') {
    $m = @{ path = "$env:ENTRA8344_ADSYNC_MODULE"; imported = $false; import_ms = $null; version = ''; error = ''
        scheduler_read = $null; scheduler_error = ''
    }
    $name = 'ADSync'
    if ($m.path -ne '') { $name = $m.path }
    $t0 = Get-Date
    try {
        $mod = @(Import-Module -Name $name -PassThru -DisableNameChecking -WarningAction SilentlyContinue -ErrorAction Stop)
        $m.import_ms = [int]((Get-Date) - $t0).TotalMilliseconds
        $m.imported = $true
        if ($mod.Count -gt 0) { $m.version = "$($mod[0].Version)" }
    } catch {
        $m.import_ms = [int]((Get-Date) - $t0).TotalMilliseconds
        $m.error = "$($_.Exception.Message)"
    }
    if ($m.imported) {
        # The import succeeds for anyone; the cmdlets talk to the ADSync service, which
        # refuses callers outside ADSyncAdmins (or ADSyncOperators for reads).
        try {
            $null = Get-ADSyncScheduler -ErrorAction Stop
            $m.scheduler_read = $true
        } catch {
            $m.scheduler_read = $false
            $m.scheduler_error = "$($_.Exception.Message)"
        }
    }
    $r.module = $m
}
'ENTRA8344-JSON:' + (ConvertTo-AsciiJson -Text (ConvertTo-Json -InputObject $r -Depth 4 -Compress))
