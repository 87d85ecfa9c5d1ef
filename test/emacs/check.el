;;; check.el --- headless Emacs + eglot checks of the virtlint language server  -*- lexical-binding: t -*-
;; Run by run.sh: emacs --batch -Q -l check.el
;; Environment: VIRTLINT_FIXTURES (a folder with copies of the fixtures); `virtlint-lsp' on PATH.
;; eglot starts the server as a user's configuration would; flymake shows its diagnostics and
;; eldoc its hovers. Each check prints "ok - NAME" or "not ok - NAME: WHY".

(require 'package)
;; Debian's elpa-eglot (and the newer project/xref it needs) live in site-lisp/elpa, which -Q
;; leaves out of package.el's search.
(add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa")
(package-initialize)
(require 'cl-lib)
(require 'eglot)
(require 'flymake)

(defvar virtlint-passed 0)
(defvar virtlint-failed 0)
(defconst virtlint-fixtures (getenv "VIRTLINT_FIXTURES"))

(defun virtlint-out (format-string &rest args)
  (princ (concat (apply #'format format-string args) "\n")))

(defmacro virtlint-check (name &rest body)
  (declare (indent 1))
  `(condition-case err
       (progn ,@body
              (cl-incf virtlint-passed)
              (virtlint-out "ok - %s" ,name))
     (error (cl-incf virtlint-failed)
            (virtlint-out "not ok - %s: %s" ,name (error-message-string err)))))

(defun virtlint-run-idle-timers ()
  "Run the one-shot idle timers (repeating ones, like eldoc's, would fire on every call)."
  (dolist (timer (copy-sequence timer-idle-list))
    (unless (timer--repeat-delay timer)
      (timer-event-handler timer))))

(defun virtlint-wait (predicate seconds what)
  "Let processes and timers run until PREDICATE holds, or fail after SECONDS naming WHAT."
  (let ((deadline (+ (float-time) seconds))
        (next-flymake (float-time)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      ;; Batch Emacs is never idle and runs no commands, so neither its idle timers (eglot's
      ;; didChange, flymake's check after an edit) nor flymake's first check would fire: run
      ;; them as an idle interactive Emacs would.
      (virtlint-run-idle-timers)
      (when (and (bound-and-true-p flymake-mode) (>= (float-time) next-flymake))
        (flymake-start)
        (setq next-flymake (+ (float-time) 0.5)))
      (accept-process-output nil 0.05))
    (unless (funcall predicate) (error "%s: nothing after %s s" what seconds))))

(defun virtlint-rule-of (diagnostic)
  "The rule id eglot shows in the flymake text: \"virtlint [RULE]: message\"."
  (let ((text (flymake-diagnostic-text diagnostic)))
    (if (string-match "\\`virtlint \\[\\([^]]+\\)\\]: " text) (match-string 1 text) text)))

(defun virtlint-summary ()
  "Sorted \"rule@line\" list (1-based lines) of the current buffer's flymake diagnostics."
  (let ((items (mapcar (lambda (d)
                         (format "%s@%d" (virtlint-rule-of d)
                                 (line-number-at-pos (flymake-diagnostic-beg d))))
                       (flymake-diagnostics))))
    (string-join (sort items #'string<) ",")))

(defun virtlint-expect-summary (expected what)
  (condition-case nil
      (virtlint-wait (lambda () (equal (virtlint-summary) expected)) 20 what)
    (error (error "%s: expected diagnostics [%s], got [%s]" what expected (virtlint-summary)))))

(defun virtlint-diagnostic (rule)
  (or (cl-find rule (flymake-diagnostics) :key #'virtlint-rule-of :test #'equal)
      (error "no %s diagnostic" rule)))

(defun virtlint-open (file)
  "Visit FILE in the selected window (eglot shows hovers only for buffers in a window)."
  (switch-to-buffer (find-file-noselect (expand-file-name file virtlint-fixtures)))
  (current-buffer))

(defun virtlint-eldoc-at (line offset)
  "The hover text eglot's eldoc function gives at LINE (1-based), OFFSET characters in."
  (goto-char (point-min))
  (forward-line (1- line))
  (forward-char offset)
  (let ((doc 'pending))
    (eglot-hover-eldoc-function (lambda (info &rest _) (when (stringp info) (setq doc info))))
    (condition-case nil
        (virtlint-wait (lambda () (stringp doc)) 15 "hover")
      (error nil))
    (if (stringp doc) doc nil)))

(defun virtlint-finish ()
  (virtlint-out "emacs-lisp: %d passed, %d failed" virtlint-passed virtlint-failed)
  (kill-emacs (if (> virtlint-failed 0) 1 0)))

(unless (and virtlint-fixtures (executable-find "virtlint-lsp"))
  (cl-incf virtlint-failed)
  (virtlint-out "not ok - setup: VIRTLINT_FIXTURES must be set and virtlint-lsp on PATH")
  (virtlint-finish))

;; What a user puts in their init file (docs/editors.md): one entry per mode, because eglot 1.9
;; sends every buffer of a server the language id of the entry's first mode.
(add-to-list 'eglot-server-programs '(asm-mode . ("virtlint-lsp" "--stdio")))
(add-to-list 'eglot-server-programs '(c-mode . ("virtlint-lsp" "--stdio")))
(setq-default eglot-workspace-configuration '(:virtlint (:rules (:cpuid "error"))))
(setq eglot-sync-connect 10
      eglot-connect-timeout 30
      eglot-send-changes-idle-time 0.1)

(defvar virtlint-server nil)

(virtlint-check "eglot starts virtlint-lsp --stdio for an assembly buffer"
  (virtlint-open "guest.asm")
  (unless (eq major-mode 'asm-mode) (error "major mode is %s" major-mode))
  (call-interactively #'eglot)
  (setq virtlint-server (eglot-current-server))
  (unless virtlint-server (error "no eglot server for guest.asm"))
  (let ((info (plist-get (eglot--server-info virtlint-server) :name)))
    (unless (equal info "virtlint") (error "serverInfo name is %S" info)))
  (unless (bound-and-true-p flymake-mode) (error "eglot did not turn on flymake")))

(virtlint-check "flymake shows the NASM file's findings on their lines, with the settings applied"
  (virtlint-expect-summary "cpuid@9,popf@8,pushf@7,sgdt@5" "guest.asm")
  (let ((sgdt (virtlint-diagnostic "sgdt")))
    (save-excursion
      (goto-char (flymake-diagnostic-beg sgdt))
      (unless (= (current-column) 4) (error "sgdt starts at column %d" (current-column)))
      (goto-char (flymake-diagnostic-end sgdt))
      (unless (= (current-column) 15) (error "sgdt ends at column %d" (current-column))))
    (unless (eq (flymake-diagnostic-type sgdt) 'eglot-warning)
      (error "sgdt is %s, expected a warning" (flymake-diagnostic-type sgdt))))
  (unless (eq (flymake-diagnostic-type (virtlint-diagnostic "cpuid")) 'eglot-error)
    (error "cpuid is not an error: eglot-workspace-configuration did not reach the server")))

(virtlint-check "eldoc shows the hover card on SGDT, and nothing about sensitivity on a plain MOV"
  (let ((doc (virtlint-eldoc-at 5 6)))
    (unless (and doc (string-match-p "SGDT" doc)) (error "hover on sgdt: %S" doc)))
  (let ((doc (virtlint-eldoc-at 6 5)))
    (when (and doc (string-match-p "SGDT" doc)) (error "hover on mov mentions SGDT: %S" doc))))

(virtlint-check "edits in the buffer: the diagnostics follow"
  (goto-char (point-min))
  (forward-line 7)
  (delete-region (line-beginning-position) (line-end-position))
  (insert "    sldt ax")
  (virtlint-expect-summary "cpuid@9,pushf@7,sgdt@5,sldt@8" "after replacing popf by sldt")
  (goto-char (point-min))
  (forward-line 5)
  (insert "    smsw ax\n    str ax\n")
  (virtlint-expect-summary "cpuid@11,pushf@9,sgdt@5,sldt@10,smsw@6,str@7" "after inserting two lines"))

(virtlint-check "C file: the sgdt inside the asm string is found, the one in the printf string is not"
  (virtlint-open "guest.c")
  (unless (eq major-mode 'c-mode) (error "major mode is %s" major-mode))
  (call-interactively #'eglot)
  ;; The second connection may finish after `eglot' returns (eglot-sync-connect gives up early
  ;; in batch); wait for it as a user would.
  (virtlint-wait (lambda () (eglot-current-server)) 30 "an eglot server for guest.c")
  (let ((language (eglot--language-id (eglot-current-server))))
    (unless (equal language "c") (error "eglot sends language id %S" language)))
  (virtlint-expect-summary "sgdt@8" "guest.c")
  (let ((sgdt (virtlint-diagnostic "sgdt")))
    (save-excursion
      (goto-char (flymake-diagnostic-beg sgdt))
      (unless (looking-at "sgdt %0") (error "the diagnostic starts at %S" (buffer-substring (point) (line-end-position))))))
  (let ((doc (virtlint-eldoc-at 8 16)))
    (unless (and doc (string-match-p "SGDT" doc)) (error "hover in the asm string: %S" doc))))

(defun virtlint-all-servers ()
  (apply #'append (hash-table-values eglot--servers-by-project)))

;; On a failure, the end of each server's message log says what was sent and received.
(when (> virtlint-failed 0)
  (dolist (server (virtlint-all-servers))
    (with-current-buffer (jsonrpc-events-buffer server)
      (virtlint-out "--- last messages of %s ---\n%s" (jsonrpc-name server)
                    (buffer-substring (max (point-min) (- (point-max) 4000)) (point-max))))))
(dolist (server (virtlint-all-servers))
  (ignore-errors (eglot-shutdown server nil 5)))
(virtlint-finish)
