# Nothing here may be flagged: core types, cmdlets, guarded code.
param([string]$ApprovalToken = '', [string[]]$More = @())
$ErrorActionPreference = 'Stop'
$now = [DateTime]::UtcNow
$n = [int]'3' + [long]4
$o = New-Object PSObject -Property @{ A = 1 }
$p = New-Object -TypeName System.Collections.Hashtable
$q = [pscustomobject]@{ B = 2 }
$r = [regex]::Escape('a.b')
$s = [adsi]'LDAP://RootDSE'
$t = New-Object -ComObject Scripting.Dictionary
$u = [string[]]@('a')
$h = Get-FileHash -LiteralPath 'x' -Algorithm SHA256

# CLM exception: a guarded block may use anything.
if ($ExecutionContext.SessionState.LanguageMode -eq 'FullLanguage') {
    $v = [System.IO.File]::ReadAllText('x')
    Get-Hash -Path 'x'
}

# CLM exception: FullLanguage only.
function Get-Hash {
    param([string]$Path)
    return (Get-Inner)
}

# CLM exception: called only from Get-Hash.
function Get-Inner {
    return [System.Security.Cryptography.SHA256]::Create()
}
