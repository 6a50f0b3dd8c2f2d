# entra8344: start a sync cycle (Delta, or Initial when ENTRA8344_SYNC_POLICY says so). Fed on stdin like the collector;
# Constrained Language Mode safe; prints one ASCII JSON line.
$ErrorActionPreference = 'Stop'
$out = @{ started = $false; busy = $false; error = '' }
try {
    if ($env:ENTRA8344_ADSYNC_MODULE) { Import-Module $env:ENTRA8344_ADSYNC_MODULE } else { Import-Module ADSync }
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
$out | ConvertTo-Json -Compress
