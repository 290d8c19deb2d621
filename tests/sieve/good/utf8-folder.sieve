require "vnd.standby.mirror";
mirror :mailbox "Aufträge/2026/Größe";
