require ["vnd.standby.mirror", "variables"];
set "folder" "Orders";
set "flag" "$Order";
mirror :mailbox "${folder}/2026" :flags ["${flag}", "\\Seen"];
