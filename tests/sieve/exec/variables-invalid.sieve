# names built from variables are checked at runtime: warn, fall back
require ["vnd.standby.mirror", "variables"];
set "folder" "../etc";
set "flag" "bad flag";
mirror :mailbox "${folder}" :flags ["${flag}", "\\Flagged"];
