# expect: flag contains a space
require "vnd.standby.mirror";
mirror :flags "\\Seen \\Flagged";
