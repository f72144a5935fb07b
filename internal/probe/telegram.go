package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTelegramAPI is the Bot API root.
const DefaultTelegramAPI = "https://api.telegram.org"

// Telegram pages through the Bot API's sendMessage. One 429 is waited out when its retry_after
// is short; anything else is returned (the caller logs it: a page is never fatal).
type Telegram struct {
	Token, ChatID string
	API           string // default DefaultTelegramAPI
	Client        *http.Client
	// MaxWait is the longest retry_after honoured (default 30s).
	MaxWait time.Duration
	Sleep   func(context.Context, time.Duration) error
}

type telegramAnswer struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// Page sends text to the chat.
func (t *Telegram) Page(ctx context.Context, text string) error {
	if t.Token == "" || t.ChatID == "" {
		return fmt.Errorf("Telegram is not configured (no $TELEGRAM_BOT_TOKEN or $TELEGRAM_CHAT_ID)")
	}
	api := strings.TrimSuffix(t.API, "/")
	if api == "" {
		api = DefaultTelegramAPI
	}
	client := t.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	sleep := t.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	maxWait := t.MaxWait
	if maxWait == 0 {
		maxWait = 30 * time.Second
	}
	body, _ := json.Marshal(map[string]any{"chat_id": t.ChatID, "text": truncateText(text, 4000), "disable_web_page_preview": true})
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, api+"/bot"+t.Token+"/sendMessage", bytes.NewReader(body))
		if err != nil {
			return t.redact(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return t.redact(fmt.Errorf("Telegram sendMessage: %w", err))
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		var a telegramAnswer
		_ = json.Unmarshal(raw, &a)
		if resp.StatusCode == http.StatusOK && a.OK {
			return nil
		}
		desc := truncateText(a.Description, 200)
		if desc == "" {
			desc = truncateText(strings.TrimSpace(string(raw)), 200)
		}
		wait := time.Duration(a.Parameters.RetryAfter) * time.Second
		if wait == 0 {
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
				wait = time.Duration(s) * time.Second
			}
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt == 0 && wait <= maxWait {
			if err := sleep(ctx, wait); err != nil {
				return err
			}
			continue
		}
		return t.redact(fmt.Errorf("Telegram sendMessage: %d %s", resp.StatusCode, desc))
	}
}

func (t *Telegram) redact(err error) error { return redactToken(err, t.Token) }
