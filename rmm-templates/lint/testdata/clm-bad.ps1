# Every line marked expect-clm must be flagged by clm.cjs (lint.cjs --selftest).
$a = [System.IO.File]::ReadAllText('x') # expect-clm
$b = [Environment]::MachineName # expect-clm
$c = New-Object System.Net.WebClient # expect-clm
$d = New-Object -TypeName System.IO.FileStream -ArgumentList 'x' # expect-clm
$e = New-Object -ComObject WScript.Shell # expect-clm
Add-Type -TypeDefinition 'public class X {}' # expect-clm
$f = [Net.SecurityProtocolType]'Tls12' # expect-clm

# A guard without its comment does not count.
if ($ExecutionContext.SessionState.LanguageMode -eq 'FullLanguage') {
    $g = [System.BitConverter]::ToString($a) # expect-clm
}

# CLM exception: the else branch of a guard is not guarded.
if ($ExecutionContext.SessionState.LanguageMode -eq 'FullLanguage') {
    $h = 1
} else {
    $h = [System.IO.Path]::GetTempPath() # expect-clm
}

# CLM exception: a wrong condition does not count.
if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') {
    $i = [System.IO.Path]::GetTempPath() # expect-clm
}

# CLM exception: a marked function may use blocked types...
function Get-Hash {
    param([string]$Path)
    return [System.Security.Cryptography.SHA256]::Create()
}

# ...but is not called outside a guard.
Get-Hash -Path 'x' # expect-clm

function Unmarked {
    return [System.IO.Path]::GetTempPath() # expect-clm
}
