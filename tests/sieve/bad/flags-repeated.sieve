# expect: encountered duplicate :flags argument for the mirror command
require "vnd.standby.mirror";
mirror :flags "\\Seen" :flags "$Order";
