# entra8344: start a sync cycle (Delta, or Initial when ENTRA8344_SYNC_POLICY says so). Fed on
# stdin like the collector; Constrained Language Mode safe; prints its document on one
# ENTRA8344-JSON: line (powershell.exe also writes warnings and Write-Host text to a redirected
# stdout). This file must stay ASCII: powershell.exe reads it from stdin in the console code page.
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

$out = @{ started = $false; busy = $false; error = '' }
try {
    if ($env:ENTRA8344_ADSYNC_MODULE) {
        Import-Module -Name $env:ENTRA8344_ADSYNC_MODULE -DisableNameChecking -WarningAction SilentlyContinue
    } else {
        Import-Module -Name ADSync -DisableNameChecking -WarningAction SilentlyContinue
    }
    $policy = 'Delta'
    if ($env:ENTRA8344_SYNC_POLICY -eq 'Initial') { $policy = 'Initial' }
    $r = Start-ADSyncSyncCycle -PolicyType $policy
    $out.started = $true
    if ($r -ne $null -and $r.Result -ne $null) { $out.result = [string]$r.Result }
} catch {
    $msg = [string]$_.Exception.Message
    $out.error = $msg
    if ($msg -match 'busy|already running|in progress') { $out.busy = $true }
}
'ENTRA8344-JSON:' + (ConvertTo-AsciiJson -Text (ConvertTo-Json -InputObject $out -Compress))
