# entra8344 collector: reads the Entra Connect sync engine's state and prints ONE JSON document,
# on one line that starts with ENTRA8344-JSON: (powershell.exe also writes warnings, Write-Host
# text and banners to a redirected stdout; the Go side reads only the marked line).
# It collects and prints; it never decides (the Go side classifies).
# Constrained Language Mode safe: no Add-Type, no New-Object, no [adsi], no .NET static calls;
# only cmdlets, hashtables, core type casts and property reads.
# Parameters arrive in the environment, never in the script text:
#   ENTRA8344_ADSYNC_MODULE  path of the ADSync module (ADSync.psd1); empty = Import-Module ADSync
#   ENTRA8344_RUNS           run-history entries per connector (default 10)
#   ENTRA8344_MAX_XML        largest SyncErrorsXml kept per step, in characters (default 2000000)
# This file must stay ASCII: powershell.exe reads it from stdin in the console code page.

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'
$VerbosePreference = 'SilentlyContinue'
$DebugPreference = 'SilentlyContinue'

$out = @{
    collector_version = 1
    powershell        = @{
        version       = "$($PSVersionTable.PSVersion)"
        language_mode = "$($ExecutionContext.SessionState.LanguageMode)"
    }
    module            = @{ loaded = $false; path = ''; version = '' }
    missing           = @()
    errors            = @()
    scheduler         = $null
    connectors        = @()
}

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

function Add-CollectorError {
    param([string]$Step, $ErrorRecord)
    $script:out.errors += @(@{ step = $Step; message = "$($ErrorRecord.Exception.Message)" })
}

function Get-IsoDate {
    param($Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [datetime]) {
        # 'o' keeps the Kind: Utc ends in Z, Local carries its offset, Unspecified carries neither.
        return $Value.ToString('o')
    }
    return "$Value"
}

function Get-OptionalProperty {
    param($Object, [string]$Name)
    if ($null -eq $Object) { return $null }
    if ($Object.PSObject.Properties.Name -contains $Name) { return $Object.$Name }
    return $null
}

function Test-HasProperty {
    param($Object, [string]$Name)
    return ($null -ne $Object) -and ($Object.PSObject.Properties.Name -contains $Name)
}

function Get-ConnectivityValue {
    param($Connector, [string]$Name)
    $p = @($Connector.ConnectivityParameters | Where-Object { $_.Name -eq $Name }) | Select-Object -First 1
    if ($null -eq $p) { return '' }
    return "$($p.Value)"
}

$runs = 10
if ("$env:ENTRA8344_RUNS" -match '^[0-9]{1,3}$') { $runs = [int]$env:ENTRA8344_RUNS }
$maxXml = 2000000
if ("$env:ENTRA8344_MAX_XML" -match '^[0-9]{1,9}$') { $maxXml = [int]$env:ENTRA8344_MAX_XML }

try {
    # --- the ADSync module -------------------------------------------------------------
    try {
        $modulePath = "$env:ENTRA8344_ADSYNC_MODULE"
        if ($modulePath -ne '' -and (Test-Path -LiteralPath $modulePath)) {
            $m = Import-Module -Name $modulePath -PassThru -DisableNameChecking -WarningAction SilentlyContinue
        } else {
            $m = Import-Module -Name ADSync -PassThru -DisableNameChecking -WarningAction SilentlyContinue
        }
        $m = @($m) | Select-Object -First 1
        $out.module.loaded = $true
        $out.module.path = "$($m.Path)"
        $out.module.version = "$($m.Version)"
    } catch {
        Add-CollectorError -Step 'Import-Module ADSync' -ErrorRecord $_
    }

    if ($out.module.loaded) {
        # --- optional cmdlets and parameters: probe, never assume -------------------------
        $runCmd = Get-Command -Name Get-ADSyncRunProfileResult -ErrorAction SilentlyContinue
        $hasStepDetails = $false
        $hasNumberRequested = $false
        if ($null -eq $runCmd) {
            $out.missing += @('Get-ADSyncRunProfileResult')
        } else {
            $keys = @($runCmd.Parameters.Keys)
            $hasStepDetails = $keys -contains 'RunStepDetails'
            $hasNumberRequested = $keys -contains 'NumberRequested'
            if (-not $hasStepDetails) { $out.missing += @('Get-ADSyncRunProfileResult -RunStepDetails') }
            if (-not $hasNumberRequested) { $out.missing += @('Get-ADSyncRunProfileResult -NumberRequested') }
        }

        # --- scheduler ------------------------------------------------------------------
        if ($null -eq (Get-Command -Name Get-ADSyncScheduler -ErrorAction SilentlyContinue)) {
            $out.missing += @('Get-ADSyncScheduler')
        } else {
            try {
                $s = Get-ADSyncScheduler
                $sched = @{}
                foreach ($name in @('SyncCycleEnabled', 'StagingModeEnabled', 'SchedulerSuspended', 'SyncCycleInProgress', 'MaintenanceEnabled')) {
                    if (Test-HasProperty -Object $s -Name $name) {
                        $sched[$name] = [bool]$s.$name
                    } else {
                        $sched[$name] = $null
                        $out.missing += @("Get-ADSyncScheduler.$name")
                    }
                }
                $sched.NextSyncCycleStartTimeInUTC = Get-IsoDate (Get-OptionalProperty -Object $s -Name 'NextSyncCycleStartTimeInUTC')
                $policy = Get-OptionalProperty -Object $s -Name 'NextSyncCyclePolicyType'
                if ($null -ne $policy) { $sched.NextSyncCyclePolicyType = "$policy" } else { $sched.NextSyncCyclePolicyType = $null }
                $interval = Get-OptionalProperty -Object $s -Name 'CurrentlyEffectiveSyncCycleInterval'
                if ($null -ne $interval) { $sched.CurrentlyEffectiveSyncCycleInterval = "$interval" } else { $sched.CurrentlyEffectiveSyncCycleInterval = $null }
                $out.scheduler = $sched
            } catch {
                Add-CollectorError -Step 'Get-ADSyncScheduler' -ErrorRecord $_
            }
        }

        # --- connectors and their run history ---------------------------------------------
        $connectors = @()
        try {
            $connectors = @(Get-ADSyncConnector)
        } catch {
            Add-CollectorError -Step 'Get-ADSyncConnector' -ErrorRecord $_
        }
        $projected = @()
        foreach ($c in $connectors) {
            $conn = @{
                Name              = "$($c.Name)"
                Identifier        = "$($c.Identifier)"
                Type              = "$(Get-OptionalProperty -Object $c -Name 'Type')"
                Subtype           = "$(Get-OptionalProperty -Object $c -Name 'Subtype')"
                ConnectorTypeName = "$(Get-OptionalProperty -Object $c -Name 'ConnectorTypeName')"
                LoginDomain       = ''
                LoginUser         = ''
                Partitions        = @()
                Runs              = @()
            }
            try {
                $conn.LoginDomain = Get-ConnectivityValue -Connector $c -Name 'forest-login-domain'
                $conn.LoginUser = Get-ConnectivityValue -Connector $c -Name 'forest-login-user'
            } catch {
                Add-CollectorError -Step "ConnectivityParameters of $($c.Name)" -ErrorRecord $_
            }
            $conn.Partitions = @(@($c.Partitions) | Where-Object { $null -ne $_ } | ForEach-Object {
                    @{ DN = "$($_.DN)"; Name = "$($_.Name)"; Selected = [bool]$_.Selected; IsDomain = [bool]$_.IsDomain }
                })
            if ($null -ne $runCmd) {
                try {
                    $params = @{ ConnectorId = $c.Identifier }
                    if ($hasNumberRequested) { $params.NumberRequested = $runs }
                    if ($hasStepDetails) { $params.RunStepDetails = $true }
                    $results = @(Get-ADSyncRunProfileResult @params | Select-Object -First $runs)
                    $conn.Runs = @(foreach ($r in $results) {
                            $steps = $null
                            if ($null -ne $r.RunStepResults) {
                                $steps = @(foreach ($st in @($r.RunStepResults)) {
                                        $xml = "$(Get-OptionalProperty -Object (Get-OptionalProperty -Object $st -Name 'SyncErrors') -Name 'SyncErrorsXml')"
                                        $omitted = 0
                                        if ($xml.Length -gt $maxXml) { $omitted = $xml.Length; $xml = '' }
                                        @{
                                            StepNumber          = Get-OptionalProperty -Object $st -Name 'StepNumber'
                                            StepResult          = "$(Get-OptionalProperty -Object $st -Name 'StepResult')"
                                            StartDate           = Get-IsoDate (Get-OptionalProperty -Object $st -Name 'StartDate')
                                            EndDate             = Get-IsoDate (Get-OptionalProperty -Object $st -Name 'EndDate')
                                            ExportAdd           = Get-OptionalProperty -Object $st -Name 'ExportAdd'
                                            ExportUpdate        = Get-OptionalProperty -Object $st -Name 'ExportUpdate'
                                            ExportRename        = Get-OptionalProperty -Object $st -Name 'ExportRename'
                                            ExportDelete        = Get-OptionalProperty -Object $st -Name 'ExportDelete'
                                            ExportDeleteAdd     = Get-OptionalProperty -Object $st -Name 'ExportDeleteAdd'
                                            ExportFailure       = Get-OptionalProperty -Object $st -Name 'ExportFailure'
                                            SyncErrorsXml       = $xml
                                            SyncErrorsXmlOmitted = $omitted
                                        }
                                    })
                            }
                            @{
                                RunHistoryId   = "$($r.RunHistoryId)"
                                RunProfileName = "$($r.RunProfileName)"
                                RunNumber      = $r.RunNumber
                                Result         = "$($r.Result)"
                                StartDate      = Get-IsoDate $r.StartDate
                                EndDate        = Get-IsoDate $r.EndDate
                                RunStepResults = $steps
                            }
                        })
                } catch {
                    Add-CollectorError -Step "Get-ADSyncRunProfileResult for $($c.Name)" -ErrorRecord $_
                }
            }
            $projected += @($conn)
        }
        $out.connectors = $projected
    }
} catch {
    Add-CollectorError -Step 'collector' -ErrorRecord $_
}

$json = ConvertTo-Json -InputObject $out -Depth 10 -Compress
'ENTRA8344-JSON:' + (ConvertTo-AsciiJson -Text $json)
