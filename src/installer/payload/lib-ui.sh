# shellcheck shell=bash
# shellcheck disable=SC2034 # CANCELLED, USER_PASSWORD and the GOLDEN_* answers are read by the main script
# Questions on the console: whiptail when the image has it, plain prompts otherwise (same answers, so a
# test can drive either over a serial line). Answers go to stdout; the dialogs draw on the console.

UI_TITLE=${UI_TITLE:-Golden installer}

ui_has_whiptail() {
  [[ ${GOLDEN_UI:-whiptail} == whiptail ]] && command -v whiptail >/dev/null
}

# ui_input TEXT DEFAULT → the answer
ui_input() {
  if ui_has_whiptail; then
    whiptail --title "$UI_TITLE" --inputbox "$1" 10 70 "$2" 3>&1 1>&2 2>&3 </dev/tty >/dev/tty
  else
    local answer
    printf '%s [%s]: ' "$1" "$2" >/dev/tty
    IFS= read -r answer </dev/tty
    printf '%s\n' "${answer:-$2}"
  fi
}

# ui_password TEXT → the answer (not echoed)
ui_password() {
  if ui_has_whiptail; then
    whiptail --title "$UI_TITLE" --passwordbox "$1" 10 70 3>&1 1>&2 2>&3 </dev/tty >/dev/tty
  else
    local answer
    printf '%s: ' "$1" >/dev/tty
    IFS= read -r -s answer </dev/tty
    printf '\n' >/dev/tty
    printf '%s\n' "$answer"
  fi
}

# ui_confirm TEXT: succeeds on yes. "No" is the default: the question is whether to erase a disk.
ui_confirm() {
  if ui_has_whiptail; then
    whiptail --title "$UI_TITLE" --defaultno --yesno "$1" 12 70 </dev/tty >/dev/tty 2>&1
  else
    local answer
    printf '%s [yes/NO]: ' "$1" >/dev/tty
    IFS= read -r answer </dev/tty
    [[ ${answer,,} == y || ${answer,,} == yes ]]
  fi
}

ui_message() {
  if ui_has_whiptail; then
    whiptail --title "$UI_TITLE" --msgbox "$1" 10 70 </dev/tty >/dev/tty 2>&1
  else
    printf '%s\n' "$1" >/dev/tty
  fi
}

# A passphrase asked twice, refused until it is strong enough and both entries match.
ask_passphrase() {
  local first second problem
  while true; do
    first=$(ui_password "Passphrase for the encrypted disk (at least $GOLDEN_MIN_PASSPHRASE characters)")
    if problem=$(passphrase_problem "$first" "$GOLDEN_MIN_PASSPHRASE"); then
      log "passphrase refused: $problem"
      ui_message "Refused: $problem."
      continue
    fi
    second=$(ui_password "The same passphrase again")
    if [[ $first != "$second" ]]; then
      log "passphrase refused: the two entries differ"
      ui_message "The two passphrases differ. Try again."
      continue
    fi
    printf '%s\n' "$first"
    return 0
  done
}

# A password for the first user, asked twice.
ask_user_password() {
  local first second
  while true; do
    first=$(ui_password "Password for $GOLDEN_USER_NAME")
    [[ -n $first ]] || { ui_message "The password must not be empty."; continue; }
    second=$(ui_password "The same password again")
    [[ $first == "$second" ]] && { printf '%s\n' "$first"; return 0; }
    ui_message "The two passwords differ. Try again."
  done
}

# The guided questions: the disk, passphrase, hostname, user; locale, time zone and keyboard when the
# config leaves them to the technician. Sets DISK, PASSPHRASE, HOSTNAME_CHOSEN, GOLDEN_USER_NAME,
# USER_PASSWORD, GOLDEN_LOCALE, GOLDEN_TIMEZONE, GOLDEN_KEYBOARD_LAYOUT.
guided_questions() {
  local info
  info=$(lsblk -dno SIZE,MODEL "$DISK" 2>/dev/null | tr -s ' ' || true)
  if ! ui_confirm "Install $GOLDEN_PRETTY_NAME to $DISK (${info:-unknown size})?

EVERYTHING on $DISK will be erased."; then
    say "installation cancelled: the disk was not confirmed"
    CANCELLED=1
    exit 1
  fi
  log "disk $DISK confirmed"
  if [[ $GOLDEN_ENCRYPT == 1 && -z $PASSPHRASE ]]; then PASSPHRASE=$(ask_passphrase); fi
  HOSTNAME_CHOSEN=$(ui_input "Host name of this computer" "$HOSTNAME_CHOSEN")
  HOSTNAME_CHOSEN=$(expand_hostname "$HOSTNAME_CHOSEN" '' '' "$(random_hex)")
  if [[ -z ${GOLDEN_USER_NAME:-} ]]; then GOLDEN_USER_NAME=$(ui_input "Login name of the first user (empty: none)" ""); fi
  if [[ -n $GOLDEN_USER_NAME && -z ${GOLDEN_USER_HASH:-} ]]; then USER_PASSWORD=$(ask_user_password); fi
  if [[ ${GOLDEN_ASK_LOCALE:-0} == 1 ]]; then
    GOLDEN_LOCALE=$(ui_input "Locale" "$GOLDEN_LOCALE")
    GOLDEN_TIMEZONE=$(ui_input "Time zone" "$GOLDEN_TIMEZONE")
    GOLDEN_KEYBOARD_LAYOUT=$(ui_input "Keyboard layout" "${GOLDEN_KEYBOARD_LAYOUT:-us}")
  fi
  log "answers: hostname=$HOSTNAME_CHOSEN user=${GOLDEN_USER_NAME:-none} locale=$GOLDEN_LOCALE timezone=$GOLDEN_TIMEZONE keyboard=${GOLDEN_KEYBOARD_LAYOUT:-}"
}
