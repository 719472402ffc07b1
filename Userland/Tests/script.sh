# A shell script for e2e.shell-language: its arguments, a status, and the end.
echo script: $1 $2
false
echo status $?
echo done
